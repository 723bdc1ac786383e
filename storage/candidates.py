"""The database side of selection: which articles a run may pick from. The database narrows
(indexes on published_at and the outbox); the pure jobs.selection function has the final word."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select

from storage.tables import ArticleRow, DeliveryRow, HeatSampleRow


@dataclass(frozen=True, slots=True)
class SelectionRules:
    """The database-side prefilter of selection; jobs.selection decides for real."""

    min_heat: int
    published_after: datetime | None
    published_before: datetime
    limit: int


def candidate_conditions(rules: SelectionRules, channel_id: int) -> list[ColumnElement[bool]]:
    """Eligible by heat, publication flag and date, and with no outbox row for the channel."""
    posted = select(DeliveryRow.id).where(
        DeliveryRow.article_id == ArticleRow.id, DeliveryRow.chat_id == channel_id
    )
    conditions = [
        ArticleRow.heat >= rules.min_heat,
        or_(ArticleRow.published.is_(None), ArticleRow.published.is_(True)),
        ArticleRow.published_at <= rules.published_before,
        ~posted.exists(),
    ]
    if rules.published_after is not None:
        conditions.append(ArticleRow.published_at >= rules.published_after)
    return conditions


@dataclass(frozen=True, slots=True)
class RisingRules:
    """The database-side prefilter of rising stories (below the publishing threshold)."""

    min_heat: int  # rising.min_heat, rounded up
    gain: int
    limit: int


def rising_conditions(
    rules: SelectionRules, rising: RisingRules, channel_id: int
) -> list[ColumnElement[bool]]:
    """Eligible but for heat: heat in [rising.min_heat, min_heat), and a sample in the kept
    history at least `gain` lower (jobs.selection checks that it was within the window)."""
    lower = select(HeatSampleRow.id).where(
        HeatSampleRow.article_id == ArticleRow.id,
        HeatSampleRow.heat <= ArticleRow.heat - rising.gain,
    )
    widened = SelectionRules(
        rising.min_heat, rules.published_after, rules.published_before, rising.limit
    )
    return [
        *candidate_conditions(widened, channel_id),
        ArticleRow.heat < rules.min_heat,
        lower.exists(),
    ]


def climbing_conditions(rules: SelectionRules, rising: RisingRules) -> list[ColumnElement[bool]]:
    """Articles in the window that may be rising now, posted or not (for /stats)."""
    lower = select(HeatSampleRow.id).where(
        HeatSampleRow.article_id == ArticleRow.id,
        HeatSampleRow.heat <= ArticleRow.heat - rising.gain,
    )
    conditions = [
        ArticleRow.heat >= rising.min_heat,
        ArticleRow.published_at <= rules.published_before,
        lower.exists(),
    ]
    if rules.published_after is not None:
        conditions.append(ArticleRow.published_at >= rules.published_after)
    return conditions
