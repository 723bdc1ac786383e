"""Digests: at its slot (jobs.digest_slots) a digest chat gets one message listing the stories
of the period that instant fan-out would have sent it (its topics, /filter, minimum heat, its
pause: jobs.fanout.recipients decides, as for a post), hottest first, at most MAX_ENTRIES and a
count of the rest; nothing when there was nothing.

Exactly once: each digest is an outbox row keyed by (chat, "digest:<thread>:<slot>"), written
with the text the bot renders for it; the slot job remembers (DIGEST_SLOTS_KEY) the moment up
to which it has queued everything due, and moves it only after the last page. A crash mid-way
repeats the same slots at the next start, and the keys make the repeat add only what is missing.

A page of digest chats at a time, each page its own transaction, the event loop given back
between pages: 100k digests at one slot never hold the loop for long (tests/test_digests.py
measures the longest stall). The period's stories are read once per slot job, after taking the
run lock, so that a run that was selecting when the slot came has committed what it opened."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from jobs.digest_slots import Period, Schedule, due_period, open_period
from jobs.fanout import FilterMemo, recipients
from storage.digests import DigestSubscriber
from storage.records import Article
from storage.state_keys import DIGEST_SLOTS_KEY
from storage.unit_of_work import Transaction, UowFactory

log = logging.getLogger(__name__)

MAX_ENTRIES = 10
PAGE_SIZE = 250  # digest chats per transaction
SLICE = 50  # digest chats chosen and worded per turn of the event loop (a few ms)
# How far back a due period can start: the latest daily slot is under 25 hours old and its
# period at most 25 hours long.
LOOKBACK = timedelta(hours=50)
KEY_PREFIX = "digest:"


@dataclass(frozen=True, slots=True)
class Digest:
    chat_id: int
    thread_id: int
    schedule: Schedule
    period: Period
    language: str | None  # Chat.reader_language; None: the bot's language (telegram.language)
    entries: tuple[Article, ...]  # hottest first, at most MAX_ENTRIES
    more: int = 0  # stories past those


Render = Callable[[Digest], str]  # a digest -> its message, Telegram HTML


@dataclass(frozen=True, slots=True)
class PeriodStories:
    """The stories opened in the slot job's look-back, with their articles."""

    articles: Mapping[int, Sequence[Article]]  # story id -> its articles
    opened_at: Mapping[int, datetime]
    # article id -> its story: made once per slot job, not once per page or slice
    story_of: Mapping[int, int] = field(init=False)

    def __post_init__(self) -> None:
        story_of = {a.id: story for story, arts in self.articles.items() for a in arts}
        object.__setattr__(self, "story_of", story_of)


_KEY_TIME = "%Y-%m-%dT%H:%MZ"


def digest_key(thread_id: int, period: Period) -> str:
    return f"{KEY_PREFIX}{thread_id}:{period.end.strftime(_KEY_TIME)}"


def covered_until(keys: Iterable[tuple[int, int, str]]) -> dict[tuple[int, int], datetime]:
    """(chat, thread) -> the end of the latest period its digests listed, from their rows'
    keys (digest_key): a chat that changed its schedule gets no story twice. Pure."""
    covered: dict[tuple[int, int], datetime] = {}
    for chat_id, thread_id, key in keys:
        try:
            end = datetime.strptime(key.split(":", 2)[2], _KEY_TIME).replace(tzinfo=UTC)
        except (IndexError, ValueError):
            continue  # not a digest_key: nothing known
        pair = (chat_id, thread_id)
        covered[pair] = max(end, covered.get(pair, end))
    return covered


def choose_digests(
    page: Sequence[DigestSubscriber],
    stories: PeriodStories,
    since: datetime,
    now: datetime,
    *,
    channel_id: int,
    min_heat: float | None,
    memos: dict[int, FilterMemo] | None = None,
    received: Collection[tuple[int, int, int]] = (),
    covered: Mapping[tuple[int, int], datetime] | None = None,
    until: datetime | None = None,
) -> list[Digest]:
    """The digests due for this page of subscribers, in page order; those with nothing to list
    are left out. A story counts once, by its hottest article the subscriber would have been
    sent, and not at all when the subscriber already has a post of it (`received`: (chat,
    thread, article) triples; a chat that turned to digests mid-period got some as they came).
    `memos` (article id -> filter verdicts) carries keyword matches across pages. `covered`
    (covered_until): a period starts no earlier than the chat's last digest ended (a chat that
    went from hourly to daily has the day's stories its hourly digests listed). `until`: a last
    digest, of the period still open at that time (digest_slots.open_period; `since`: when the
    slot job last ran), not of a slot that came. Pure."""
    verdicts: dict[int, FilterMemo] = {} if memos is None else memos
    had = _stories_had(received, stories)
    schedules = _periods(page, since, now, covered or {}, until)
    due: dict[Period, list[DigestSubscriber]] = defaultdict(list)
    for chat in page:
        if _pair(chat) in schedules:
            due[schedules[_pair(chat)][1]].append(chat)
    picked: dict[tuple[int, int], dict[int, Article]] = defaultdict(dict)
    for period, chats in due.items():
        subscribers = [c.subscriber for c in chats]
        for story_id, articles in stories.articles.items():
            if not period.start <= stories.opened_at[story_id] < period.end:
                continue
            for article in articles:
                memo = verdicts.setdefault(article.id, {})
                for pair in recipients(
                    article,
                    subscribers,
                    channel_id=channel_id,
                    min_heat=min_heat,
                    now=period.end,
                    memo=memo,
                ):
                    if (*pair, story_id) in had:
                        continue
                    best = picked[pair].get(story_id)
                    if best is None or _hotness(article) > _hotness(best):
                        picked[pair][story_id] = article
    digests = []
    for chat in page:
        pair = _pair(chat)
        chosen = sorted(picked.get(pair, {}).values(), key=_hotness, reverse=True)
        if chosen:
            schedule, period = schedules[pair]
            entries = tuple(chosen[:MAX_ENTRIES])
            more = len(chosen) - len(entries)
            digests.append(Digest(*pair, schedule, period, chat.language, entries, more))
    return digests


async def queue_digests(
    uow: UowFactory,
    render: Render,
    *,
    channel_id: int,
    min_heat: float | None,
    clock: Callable[[], datetime],
    lock: AbstractAsyncContextManager[object] | None = None,
    page_size: int = PAGE_SIZE,
) -> int:
    """The slot job: queue every digest whose slot came since the last time; returns how many
    were queued. The first call ever only starts the clock."""
    now = clock()
    async with uow() as tx:
        stored = await tx.state.get(DIGEST_SLOTS_KEY)
        if stored is not None and now <= datetime.fromisoformat(stored):
            return 0
        if stored is None or not await tx.digests.digest_page(None, 1):
            # The first call starts the clock. With no digest chat, the clock moves on without
            # the period's stories or the run lock: this runs every minute in every bot.
            await tx.state.set(DIGEST_SLOTS_KEY, now.isoformat())
            return 0
    since = datetime.fromisoformat(stored)
    stories = await _period_stories(uow, now, lock)
    job = _SlotJob(render, stories, since, now, channel_id, min_heat)
    queued = chats = 0
    after: tuple[int, int] | None = None
    while True:
        async with uow() as tx:
            page = await tx.digests.digest_page(after, page_size)
            queued += await _queue_page(tx, page, job)
        chats += len(page)
        if len(page) < page_size:
            break
        after = _pair(page[-1])
        await asyncio.sleep(0)  # the loop's turn: handlers and the delivery worker go on
    async with uow() as tx:
        await tx.state.set(DIGEST_SLOTS_KEY, now.isoformat())
    if queued or chats:
        log.info("digests: %d queued (%d digest chats looked at)", queued, chats)
    return queued


@dataclass(frozen=True, slots=True)
class _SlotJob:
    render: Render
    stories: PeriodStories
    since: datetime
    now: datetime
    channel_id: int
    min_heat: float | None
    memos: dict[int, FilterMemo] = field(default_factory=dict)  # across pages


def _periods(
    page: Sequence[DigestSubscriber],
    since: datetime,
    now: datetime,
    covered: Mapping[tuple[int, int], datetime],
    until: datetime | None,
) -> dict[tuple[int, int], tuple[Schedule, Period]]:
    """Each subscriber's schedule and the period its digest lists now, for those with one due
    (choose_digests' `covered` and `until`)."""
    found = {}
    for chat in page:
        schedule = Schedule(chat.mode, chat.minute, chat.timezone)
        whole = open_period(schedule, until, since) if until else due_period(schedule, since, now)
        period = _uncovered(whole, covered.get(_pair(chat)))
        if period is not None:
            found[_pair(chat)] = (schedule, period)
    return found


def _uncovered(period: Period | None, covered: datetime | None) -> Period | None:
    """The part of `period` after the chat's last digest; None when that one covered it all."""
    if period is None or covered is None or covered <= period.start:
        return period
    return Period(covered, period.end) if covered < period.end else None


async def queue_last_digest(
    uow: UowFactory,
    render: Render,
    chat_id: int,
    thread_id: int,
    *,
    channel_id: int,
    min_heat: float | None,
    clock: Callable[[], datetime],
    lock: AbstractAsyncContextManager[object] | None = None,
) -> int:
    """A subscriber about to leave digests (/digest off) gets what its open period has so far,
    now, so that turning digests off loses no story; call before the mode changes (a crash in
    between leaves the digest chat, whose next digest starts where this one ended). Returns 1
    when a digest was queued, 0 when there was nothing to list or it takes no digest."""
    now = clock()
    async with uow() as tx:
        chat = await tx.digests.digest_subscriber(chat_id, thread_id)
        stored = await tx.state.get(DIGEST_SLOTS_KEY)
    if chat is None:
        return 0
    handled = datetime.fromisoformat(stored) if stored is not None else now
    stories = await _period_stories(uow, now, lock)
    job = _SlotJob(render, stories, handled, now, channel_id, min_heat)
    async with uow() as tx:
        return await _queue_page(tx, [chat], job, until=now)


async def _queue_page(
    tx: Transaction,
    page: Sequence[DigestSubscriber],
    job: _SlotJob,
    until: datetime | None = None,
) -> int:
    """One transaction a page, but a turn of the loop for each slice chosen, worded and bound:
    a page at once held the loop for 15-45 ms."""
    chat_ids = [c.subscriber.chat_id for c in page]
    received = await tx.digests.posts_received(chat_ids, job.now - LOOKBACK)
    covered = covered_until(await tx.digests.digest_keys(chat_ids, KEY_PREFIX, job.now - LOOKBACK))
    queued = 0
    for start in range(0, len(page), SLICE):
        digests = choose_digests(
            page[start : start + SLICE],
            job.stories,
            job.since,
            job.now,
            channel_id=job.channel_id,
            min_heat=job.min_heat,
            memos=job.memos,
            received=received,
            covered=covered,
            until=until,
        )
        await asyncio.sleep(0)
        rows = [
            (d.chat_id, d.thread_id, digest_key(d.thread_id, d.period), job.render(d))
            for d in digests
        ]
        await asyncio.sleep(0)
        queued += await tx.outbox.enqueue_digests(rows, job.now)
    return queued


async def _period_stories(
    uow: UowFactory, now: datetime, lock: AbstractAsyncContextManager[object] | None
) -> PeriodStories:
    async with lock if lock is not None else contextlib.nullcontext(), uow() as tx:
        opened = await tx.stories.open_stories(now - LOOKBACK)
        articles = await tx.articles.story_articles(s.id for s in opened)
    return PeriodStories(articles, {s.id: s.opened_at for s in opened})


def _stories_had(
    received: Collection[tuple[int, int, int]], stories: PeriodStories
) -> set[tuple[int, int, int]]:
    """(chat, thread, story) for each story of the period a subscriber has a post of."""
    story_of = stories.story_of
    return {
        (chat, thread, story_of[article])
        for chat, thread, article in received
        if article in story_of
    }


def _pair(chat: DigestSubscriber) -> tuple[int, int]:
    return chat.subscriber.chat_id, chat.subscriber.thread_id


def _hotness(article: Article) -> tuple[int, int]:
    return article.heat or 0, article.id
