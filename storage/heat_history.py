"""A short heat history per article, for rising stories: a sample each time an ingest sees an
article's heat change (and its first heat), kept for HISTORY_SPAN and at most KEEP_SAMPLES per
article, pruned when written. Written in bulk with the articles (a few statements per batch),
read for a run's candidates only."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, insert, select

from storage.records import HeatSample
from storage.repository import SessionRepository, in_chunks, table_of
from storage.tables import HeatSampleRow

# Rising looks back `publish.rising.within_hours` (at most MAX_WITHIN_HOURS); the sample before
# that window is the baseline, so history reaches one window further back.
MAX_WITHIN_HOURS = 24
HISTORY_SPAN = timedelta(hours=2 * MAX_WITHIN_HOURS)
# Files are rewritten every hour or two (a sample per change); a feed page can change every run.
KEEP_SAMPLES = 48

_SAMPLES = table_of(HeatSampleRow)


class HeatHistoryRepository(SessionRepository):
    async def record(
        self, samples: Sequence[tuple[int, int]], now: datetime, *, prune: bool = True
    ) -> None:
        """Add a (article id, heat) sample at `now` for each, then prune these articles'
        histories to HISTORY_SPAN and KEEP_SAMPLES (`prune=False`: new articles, with no
        history to prune)."""
        if not samples:
            return
        await self.session.execute(
            insert(_SAMPLES), [{"article_id": a, "at": now, "heat": h} for a, h in samples]
        )
        if not prune:
            return
        ids = sorted({article_id for article_id, _ in samples})
        cutoff = now - HISTORY_SPAN
        for chunk in in_chunks(ids):
            # The oldest sample of an article beyond its KEEP_SAMPLES newest, or older than the
            # span: one statement per chunk, through the (article_id, at) index.
            kept = _SAMPLES.alias("kept")
            newer = (
                select(kept.c.id)
                .where(kept.c.article_id == _SAMPLES.c.article_id)
                .order_by(kept.c.at.desc(), kept.c.id.desc())
                .limit(KEEP_SAMPLES)
                .correlate(_SAMPLES)
            )
            await self.session.execute(
                delete(_SAMPLES).where(
                    _SAMPLES.c.article_id.in_(chunk),
                    (_SAMPLES.c.at < cutoff) | _SAMPLES.c.id.not_in(newer.scalar_subquery()),
                )
            )

    async def histories(
        self, article_ids: Iterable[int], since: datetime | None = None
    ) -> dict[int, list[HeatSample]]:
        """article id -> its samples, oldest first (from `since` on, when given)."""
        found: dict[int, list[HeatSample]] = {}
        for chunk in in_chunks(sorted(set(article_ids))):
            conditions: list[ColumnElement[bool]] = [HeatSampleRow.article_id.in_(chunk)]
            if since is not None:
                conditions.append(HeatSampleRow.at >= since)
            rows = await self.session.execute(
                select(HeatSampleRow.article_id, HeatSampleRow.at, HeatSampleRow.heat)
                .where(and_(*conditions))
                .order_by(HeatSampleRow.article_id, HeatSampleRow.at, HeatSampleRow.id)
            )
            for article_id, at, heat in rows:
                found.setdefault(article_id, []).append(HeatSample(at, heat))
        return found
