"""One scheduled run: ingest the sources, select what is new and hot, put it in the outbox for
the channel and for the chats following its topics. Also the admin's manual /publish, and the
paused switch that scheduled runs obey.

Selection and enqueueing share one transaction, so an article is either selected and queued for
the channel and every subscriber, or for none of them — a crash between the two cannot lose or
double a post. Only newly selected articles fan out: a new subscriber is not sent the back
catalogue.

Stories (jobs.stories): a selected article that tells an open story again is not posted to the
channel; its outlet is added to the story's post by an edit, and a chat that had the story does
not get it again. Each run also compares what every open story's post was last queued to show
with its articles now (a title or excerpt rewritten at the source, an outlet that joined) and
queues an edit of the channel post when they differ (the edit row is keyed by the story's
revision, in this same transaction: a repeated run neither skips nor doubles it)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeAlias

from jobs.article_lookup import article_by_link
from jobs.candidates import choose, record_choice
from jobs.fanout import FilterMemo, recipients
from jobs.ingest.feeds import FeedSpec
from jobs.ingest.files import ingest_paths
from jobs.ingest.sources import ingest_sources
from jobs.selection import PublishRules
from jobs.stories import (
    DEFAULT_WINDOW,
    Assignment,
    Joins,
    JoinsNew,
    Starts,
    assign_stories,
    content_version,
)
from storage.records import Article, DeliveryStatus, IngestReport
from storage.state_keys import LAST_INGEST_KEY, LAST_RUN_KEY, PAUSED_KEY
from storage.unit_of_work import Transaction, UowFactory

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunReport:
    ingest: IngestReport
    selected: list[Article]
    enqueued: int  # channel posts queued
    fanned_out: int = 0  # deliveries queued for subscribers of the selected articles' topics
    paused: bool = False  # publishing was paused: ingested only
    merged: int = 0  # selected articles that joined a story already posted or queued
    edits: int = 0  # edits of channel posts queued (outlets joined, sources rewritten)


async def select_articles(
    uow: UowFactory,
    rules: PublishRules,
    channel_id: int,
    now: datetime,
    *,
    story_window: timedelta = DEFAULT_WINDOW,
) -> list[Article]:
    """What a run would post now (no side effects): the dry run uses it. An article that would
    join a story (an open one, or one an earlier article of this run starts) is left out,
    unless it would lead it (see _file_stories)."""
    async with uow() as tx:
        selected = (await choose(tx, rules, channel_id, now)).selected
        assigned, leads = await _assigned(tx, selected, now - story_window)
        leading = await _leading(tx, assigned, leads, channel_id)
    return [article for (article, _), leads_it in zip(assigned, leading, strict=True) if leads_it]


async def publish_run(
    uow: UowFactory,
    folders: Sequence[Path],
    rules: PublishRules,
    channel_id: int,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    feeds: Sequence[FeedSpec] = (),
    changed: Sequence[str] | None = None,
    story_window: timedelta = DEFAULT_WINDOW,
) -> RunReport:
    """`changed`: a watched folder's changed paths, the only ones ingested (no folder walk, no
    feeds); the selection is the scheduled run's, over everything stored."""
    if changed is None:
        report = await ingest_sources(uow, folders, feeds, clock=clock)
    else:
        report = await ingest_paths(uow, changed, clock=clock)
    now = clock()
    enqueued = fanned_out = merged = edits = 0
    async with uow() as tx:
        channel = await tx.chats.chat(channel_id)
        paused = await tx.state.get(PAUSED_KEY) == "1"
        selected = []
        posting = not paused and (channel is None or channel.active)
        if paused:
            log.info("publishing is paused (/resume to restart it): nothing selected")
        elif channel is not None and not channel.active:
            log.error(
                "the bot cannot post to the channel (%s); nothing queued until it can "
                "(add the bot to the channel as an administrator, then restart)",
                channel.title or channel_id,
            )
        else:
            choice = await choose(tx, rules, channel_id, now)
            await record_choice(tx, choice, now)
            selected = choice.selected
        filed = await _file_stories(tx, selected, channel_id, now, story_window)
        for article, story_id, lead in filed:
            if lead:
                enqueued += await tx.outbox.enqueue(article.id, [channel_id], now)
            else:
                merged += 1
            fanned_out += await _fan_out(tx, article, channel_id, rules.min_heat, now, story_id)
        if posting:
            edits = await _queue_edits(tx, channel_id, now, story_window)
        if changed is None:  # what /stats shows: the last scheduled run and its whole ingest
            await tx.state.set(LAST_RUN_KEY, now.isoformat())
            await tx.state.set(LAST_INGEST_KEY, json.dumps(asdict(report.counts())))
    _log_run(report, changed, len(selected), merged, fanned_out, edits)
    return RunReport(report, selected, enqueued, fanned_out, paused, merged, edits)


def _log_run(
    report: IngestReport,
    changed: Sequence[str] | None,
    selected: int,
    merged: int,
    fanned_out: int,
    edits: int,
) -> None:
    # A watched change's unparseable file may be half written: not a skip yet (see ingest_paths).
    what, skipped = (
        ("run", "skipped files or feed items")
        if changed is None
        else (f"run for {len(changed)} changed path(s)", "not parseable yet")
    )
    log.info(
        "%s: %d new, %d updated, %d unchanged, %d %s; %d selected "
        "(%d joined a story already posted), %d deliveries to subscribers, %d post edits",
        what,
        report.new,
        report.updated,
        report.unchanged,
        len(report.skipped),
        skipped,
        selected,
        merged,
        fanned_out,
        edits,
    )


async def _assigned(
    tx: Transaction, selected: Sequence[Article], since: datetime
) -> tuple[list[tuple[Article, Assignment]], dict[int, int]]:
    """Each selected article with the story jobs.stories puts it in, among the stories opened
    since `since` and the ones earlier articles of the selection start; and the open stories'
    leads (story id -> article id)."""
    stories = await tx.stories.open_stories(since)
    by_story = await tx.articles.story_articles(s.id for s in stories)
    # rapidfuzz over every selected article and open story's article: off the event loop
    assignments = await asyncio.to_thread(assign_stories, selected, by_story)
    leads = {s.id: s.lead_article_id for s in stories}
    return list(zip(selected, assignments, strict=True)), leads


async def _file_stories(
    tx: Transaction,
    selected: Sequence[Article],
    channel_id: int,
    now: datetime,
    window: timedelta,
) -> list[tuple[Article, int, bool]]:
    """Put each selected article in its story (jobs.stories decides which): (article, story id,
    whether it leads its story, i.e. is posted to the channel; see _leading), in selection
    order."""
    if not selected:
        return []
    assigned, leads = await _assigned(tx, selected, now - window)
    leading = await _leading(tx, assigned, leads, channel_id)
    started: dict[int, int] = {}  # index in `selected` -> the story it started
    filed: list[tuple[Article, int, bool]] = []
    for index, ((article, how), leads_it) in enumerate(zip(assigned, leading, strict=True)):
        match how:
            case Starts():
                story_id = started[index] = await tx.stories.open_story(article.id, "", now)
            case JoinsNew(first):
                story_id = started[first]
                await tx.stories.join(story_id, [article.id])
            case Joins(story_id):
                await tx.stories.join(story_id, [article.id])
                if leads_it:
                    await tx.stories.set_lead(story_id, article.id)
        filed.append((article, story_id, leads_it))
    return filed


async def _leading(
    tx: Transaction,
    assigned: Sequence[tuple[Article, Assignment]],
    leads: dict[int, int],
    channel_id: int,
) -> list[bool]:
    """Which of the assigned articles lead their story: one that starts it, and the first one
    of a run that joins a story whose channel post failed or was cancelled (else the channel
    would never show that story)."""
    taken: set[int] = set()
    leading: list[bool] = []
    for _, how in assigned:
        match how:
            case Joins(story_id) if story_id not in taken and not await _channel_has(
                tx, leads[story_id], channel_id
            ):
                taken.add(story_id)
                leading.append(True)
            case _:
                leading.append(isinstance(how, Starts))
    return leading


async def _channel_has(tx: Transaction, article_id: int, channel_id: int) -> bool:
    """Whether the article's channel post went out or is on its way."""
    post = await tx.outbox.delivery(article_id, channel_id)
    return post is not None and post.status in _POSTED


async def _queue_edits(tx: Transaction, channel_id: int, now: datetime, window: timedelta) -> int:
    """Queue an edit of every open story's channel post whose content changed since it was last
    queued; returns how many. A story started this run only records its version: its post is
    not sent yet and will show its articles as they are then."""
    stories = await tx.stories.open_stories(now - window)
    by_story = await tx.articles.story_articles(s.id for s in stories)
    queued = 0
    for story in stories:
        articles = by_story.get(story.id, [])
        lead = next((a for a in articles if a.id == story.lead_article_id), None)
        if lead is None:
            continue
        version = content_version(lead, [a for a in articles if a.id != lead.id])
        if version == story.version:
            continue
        if not story.version:  # new this run
            await tx.stories.set_version(story.id, version, story.revision)
            continue
        if not await _channel_has(tx, lead.id, channel_id):
            continue  # nothing in the channel to edit
        # the outbox has the last word: an edit queued some other way must not swallow this one
        last = await tx.outbox.last_revision(lead.id, channel_id)
        revision = max(story.revision, last) + 1
        queued += await tx.outbox.enqueue_edit(lead.id, channel_id, revision, now)
        await tx.stories.set_version(story.id, version, revision)
    return queued


async def _fan_out(
    tx: Transaction,
    article: Article,
    channel_id: int,
    min_heat: float | None,
    now: datetime,
    story_id: int | None = None,
) -> int:
    """Queue the article for the chats jobs.fanout picks; returns how many were queued. A page
    of followers at a time: a fan-out to 100k chats stays a few MB."""
    added = 0
    memo: FilterMemo = {}
    async for page in tx.subscriptions.subscriber_pages(article.topics):
        had_story: set[tuple[int, int]] = set()
        if story_id is not None:
            had_story = await tx.outbox.chats_with_story(
                story_id, [s.chat_id for s in page], besides=article.id
            )
        chats = recipients(
            article,
            page,
            channel_id=channel_id,
            min_heat=min_heat,
            now=now,
            memo=memo,
            had_story=had_story,
        )
        added += await tx.outbox.enqueue(article.id, chats, now)
    return added


# -- pausing ----------------------------------------------------------------------------------


async def set_paused(uow: UowFactory, paused: bool) -> bool:
    """Pause or resume scheduled selection; False when it already was so."""
    async with uow() as tx:
        was = await tx.state.get(PAUSED_KEY) == "1"
        await tx.state.set(PAUSED_KEY, "1" if paused else "0")
    return was != paused


# -- manual publishing ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnknownArticle:
    url: str


@dataclass(frozen=True, slots=True)
class ChannelUnavailable:
    article: Article


@dataclass(frozen=True, slots=True)
class AlreadyPosted:
    """Sent to the channel (sent_at set), or queued and on its way there."""

    article: Article
    status: DeliveryStatus
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class Queued:
    article: Article
    to_channel: bool  # False: its channel post was already on its way
    again: bool  # the channel had it before (a forced or failed post sent once more)
    subscribers: int  # subscriber deliveries added


ManualPublish: TypeAlias = UnknownArticle | ChannelUnavailable | AlreadyPosted | Queued

_ON_ITS_WAY = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
_POSTED = (DeliveryStatus.SENT, *_ON_ITS_WAY)  # failed or cancelled: not posted, try again


async def publish_now(
    uow: UowFactory, url: str, channel_id: int, now: datetime, *, force: bool = False
) -> ManualPublish:
    """Queue a stored article for the channel and its topics' subscribers now, whatever its
    heat and age (the admin's call). Once posted, only `force` posts it to the channel again;
    subscribers who already had it never get it twice."""
    async with uow() as tx:
        article = await article_by_link(tx, url)
        if article is None:
            return UnknownArticle(url)
        channel = await tx.chats.chat(channel_id)
        if channel is not None and not channel.active:
            return ChannelUnavailable(article)
        existing = await tx.outbox.delivery(article.id, channel_id)
        if existing is not None and existing.status in _POSTED and not force:
            return AlreadyPosted(article, existing.status, existing.sent_at)
        to_channel = again = False
        story_id = article.story_id
        if story_id is None:  # later outlets of its story join its post
            story_id = await tx.stories.open_story(article.id, content_version(article, []), now)
        if existing is None:
            to_channel = await tx.outbox.enqueue(article.id, [channel_id], now) > 0
        elif existing.status not in _ON_ITS_WAY:
            await tx.outbox.requeue(existing.id, now)
            to_channel = again = True
        # a subscriber who had the story from another of its outlets does not get it again
        added = await _fan_out(tx, article, channel_id, None, now, story_id)
    log.info(
        "manual publish of article %d: channel %s, %d subscriber deliveries",
        article.id,
        "queued again" if again else "queued" if to_channel else "already on its way",
        added,
    )
    return Queued(article, to_channel, again, added)
