"""The database side of selection: which articles a run may pick from. The database narrows
(indexes on published_at and the outbox); the pure jobs.selection function has the final word."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select

from storage.tables import ArticleRow, DeliveryRow


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
