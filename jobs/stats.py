"""The figures /stats shows, gathered in one read-only transaction. Days are UTC days."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from jobs.selection import PublishRules, heat_gain, is_rising
from storage.records import Article, DeliveryStatus, FeedHealth, IngestCounts
from storage.state_keys import LAST_INGEST_KEY, LAST_RUN_KEY, NOT_NEWS_KEY, PAUSED_KEY
from storage.unit_of_work import Transaction, UowFactory

CHART_DAYS = 14


@dataclass(frozen=True, slots=True)
class Stats:
    now: datetime
    paused: bool
    articles: int  # stored
    eligible: int  # a run could pick them now (before the per-run cap)
    posted_today: int  # to the channel, since 00:00 UTC
    posts_per_day: list[tuple[date, int]]  # channel posts, the last CHART_DAYS days, oldest first
    last_run_at: datetime | None
    last_ingest: IngestCounts | None
    skipped_files: list[tuple[str, str]]  # (path, reason) of files the last ingest left out
    subscribers: list[tuple[str, int]]  # (topic, active chats following it), most first
    chats_active: int
    chats_inactive: int
    deliveries: dict[DeliveryStatus, int]
    feeds: list[FeedHealth] = field(default_factory=list)  # the configured JSON feed sources
    # forum threads found closed or deleted: (chat id, thread id, reason)
    closed_threads: list[tuple[int, int, str]] = field(default_factory=list)
    not_news: int | None = None  # candidates the last run left out as not news; None: no run
    rising: list[Rising] | None = None  # rising stories now, hottest first; None: rising off


@dataclass(frozen=True, slots=True)
class Rising:
    article: Article
    gain: int  # heat gained within the rising window


async def gather_stats(
    uow: UowFactory,
    rules: PublishRules,
    channel_id: int,
    now: datetime,
    feed_urls: Sequence[str] = (),
) -> Stats:
    today = now.astimezone(UTC).date()
    first_day = today - timedelta(days=CHART_DAYS - 1)
    async with uow() as tx:
        articles = await tx.stats.count_articles()
        eligible = await tx.stats.count_selection_candidates(rules.prefilter(now), channel_id)
        sent = await tx.stats.sent_times(channel_id, datetime.combine(first_day, time(), UTC))
        last_run = await tx.state.get(LAST_RUN_KEY)
        last_ingest = await tx.state.get(LAST_INGEST_KEY)
        paused = await tx.state.get(PAUSED_KEY) == "1"
        skipped = await tx.sources.skipped_source_files()
        subscribers = await tx.stats.subscriber_counts()
        active, inactive = await tx.stats.chat_activity(exclude=[channel_id])
        deliveries = await tx.stats.delivery_counts()
        feeds = await tx.feeds.healths(feed_urls) if feed_urls else []
        closed = [
            (s.chat_id, s.thread_id, s.inactive_reason or "")
            for s in await tx.settings.inactive_threads()
        ]
        not_news = await tx.state.get(NOT_NEWS_KEY)
        rising = await _rising(tx, rules, now)
    per_day = daily_counts(sent, today, CHART_DAYS)
    return Stats(
        now=now,
        paused=paused,
        articles=articles,
        eligible=eligible,
        posted_today=per_day[-1][1],
        posts_per_day=per_day,
        last_run_at=datetime.fromisoformat(last_run) if last_run else None,
        last_ingest=IngestCounts(**json.loads(last_ingest)) if last_ingest else None,
        skipped_files=skipped,
        subscribers=subscribers,
        chats_active=active,
        chats_inactive=inactive,
        deliveries=deliveries,
        feeds=feeds,
        closed_threads=closed,
        not_news=int(not_news) if not_news and not_news.isdigit() else None,
        rising=rising,
    )


async def _rising(tx: Transaction, rules: PublishRules, now: datetime) -> list[Rising] | None:
    if rules.rising is None:
        return None
    climbing = await tx.articles.climbing(rules.prefilter(now), rules.rising.prefilter())
    histories = await tx.heat.histories([a.id for a in climbing])
    return [
        Rising(a, heat_gain(histories.get(a.id, ()), a.heat or 0, now, rules.rising.within))
        for a in climbing
        if is_rising(a, histories.get(a.id, ()), now, rules)
    ]


def daily_counts(times: Iterable[datetime], today: date, days: int) -> list[tuple[date, int]]:
    """How many of `times` fall on each of the `days` UTC days ending with `today`, oldest
    first; days without any are there with 0, so a chart shows the gaps."""
    counts = Counter(at.astimezone(UTC).date() for at in times)
    return [
        (day, counts[day]) for day in (today - timedelta(days=n) for n in range(days - 1, -1, -1))
    ]
