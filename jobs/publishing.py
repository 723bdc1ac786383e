"""One scheduled run: ingest the sources, select what is new and hot, put it in the outbox.

Selection and enqueueing share one transaction, so an article is either selected and queued for
the channel, or neither — a crash between the two cannot lose or double a post."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from jobs.ingest import ingest
from jobs.selection import PublishRules, select_new
from storage.records import Article, IngestReport
from storage.repository import UowFactory

log = logging.getLogger(__name__)

LAST_RUN_KEY = "last_run_at"


@dataclass(frozen=True, slots=True)
class RunReport:
    ingest: IngestReport
    selected: list[Article]
    enqueued: int


async def select_articles(
    uow: UowFactory, rules: PublishRules, channel_id: int, now: datetime
) -> list[Article]:
    """What a run would post now (no side effects): the dry run and /stats use it."""
    async with uow() as repo:
        candidates = await repo.selection_candidates(rules.prefilter(now), channel_id)
    return select_new(candidates, now, rules)


async def publish_run(
    uow: UowFactory,
    folders: Sequence[Path],
    rules: PublishRules,
    channel_id: int,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> RunReport:
    report = await ingest(uow, folders, clock=clock)
    now = clock()
    enqueued = 0
    async with uow() as repo:
        channel = await repo.chat(channel_id)
        candidates = await repo.selection_candidates(rules.prefilter(now), channel_id)
        selected = select_new(candidates, now, rules)
        if channel is not None and not channel.active:
            log.error(
                "the bot cannot post to the channel (%s); nothing queued until it can "
                "(add the bot to the channel as an administrator, then restart)",
                channel.title or channel_id,
            )
            selected = []
        for article in selected:
            enqueued += await repo.enqueue(article.id, [channel_id], now)
        await repo.set_state(LAST_RUN_KEY, now.isoformat())
    log.info(
        "run: %d new, %d updated, %d unchanged, %d skipped files; %d selected",
        report.new,
        report.updated,
        report.unchanged,
        len(report.skipped),
        len(selected),
    )
    return RunReport(report, selected, enqueued)
