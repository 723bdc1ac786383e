"""One scheduled run: ingest the sources, select what is new and hot, put it in the outbox for
the channel and for the chats following its topics. Also the admin's manual /publish, and the
paused switch that scheduled runs obey.

Selection and enqueueing share one transaction, so an article is either selected and queued for
the channel and every subscriber, or for none of them — a crash between the two cannot lose or
double a post. Only newly selected articles fan out: a new subscriber is not sent the back
catalogue."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeAlias

from jobs.fanout import FilterMemo, recipients
from jobs.ingest.feeds import FeedSpec
from jobs.ingest.sources import ingest_sources
from jobs.ingest.urls import normalise_url
from jobs.selection import PublishRules, select_new
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


async def select_articles(
    uow: UowFactory, rules: PublishRules, channel_id: int, now: datetime
) -> list[Article]:
    """What a run would post now (no side effects): the dry run uses it."""
    async with uow() as tx:
        candidates = await tx.articles.selection_candidates(rules.prefilter(now), channel_id)
    return select_new(candidates, now, rules)


async def publish_run(
    uow: UowFactory,
    folders: Sequence[Path],
    rules: PublishRules,
    channel_id: int,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    feeds: Sequence[FeedSpec] = (),
) -> RunReport:
    report = await ingest_sources(uow, folders, feeds, clock=clock)
    now = clock()
    enqueued = fanned_out = 0
    async with uow() as tx:
        channel = await tx.chats.chat(channel_id)
        paused = await tx.state.get(PAUSED_KEY) == "1"
        selected = []
        if paused:
            log.info("publishing is paused (/resume to restart it): nothing selected")
        elif channel is not None and not channel.active:
            log.error(
                "the bot cannot post to the channel (%s); nothing queued until it can "
                "(add the bot to the channel as an administrator, then restart)",
                channel.title or channel_id,
            )
        else:
            candidates = await tx.articles.selection_candidates(rules.prefilter(now), channel_id)
            selected = select_new(candidates, now, rules)
        for article in selected:
            enqueued += await tx.outbox.enqueue(article.id, [channel_id], now)
            fanned_out += await _fan_out(tx, article, channel_id, rules.min_heat, now)
        await tx.state.set(LAST_RUN_KEY, now.isoformat())
        await tx.state.set(LAST_INGEST_KEY, json.dumps(_ingest_counts(report)))
    log.info(
        "run: %d new, %d updated, %d unchanged, %d skipped files or feed items; %d selected, "
        "%d deliveries to subscribers",
        report.new,
        report.updated,
        report.unchanged,
        len(report.skipped),
        len(selected),
        fanned_out,
    )
    return RunReport(report, selected, enqueued, fanned_out, paused)


async def _fan_out(
    tx: Transaction, article: Article, channel_id: int, min_heat: float | None, now: datetime
) -> int:
    """Queue the article for the chats jobs.fanout picks; returns how many were queued. A page
    of followers at a time: a fan-out to 100k chats stays a few MB."""
    added = 0
    memo: FilterMemo = {}
    async for page in tx.subscriptions.subscriber_pages(article.topics):
        chats = recipients(
            article, page, channel_id=channel_id, min_heat=min_heat, now=now, memo=memo
        )
        added += await tx.outbox.enqueue(article.id, chats, now)
    return added


def _ingest_counts(report: IngestReport) -> dict[str, int]:
    return {
        "new": report.new,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "skipped": len(report.skipped),
    }


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
    key = normalise_url(url)
    async with uow() as tx:
        article = await tx.articles.article_by_url(key) if key else None
        if article is None:
            return UnknownArticle(url)
        channel = await tx.chats.chat(channel_id)
        if channel is not None and not channel.active:
            return ChannelUnavailable(article)
        existing = await tx.outbox.delivery(article.id, channel_id)
        if existing is not None and existing.status in _POSTED and not force:
            return AlreadyPosted(article, existing.status, existing.sent_at)
        to_channel = again = False
        if existing is None:
            to_channel = await tx.outbox.enqueue(article.id, [channel_id], now) > 0
        elif existing.status not in _ON_ITS_WAY:
            await tx.outbox.requeue(existing.id, now)
            to_channel = again = True
        added = await _fan_out(tx, article, channel_id, None, now)
    log.info(
        "manual publish of article %d: channel %s, %d subscriber deliveries",
        article.id,
        "queued again" if again else "queued" if to_channel else "already on its way",
        added,
    )
    return Queued(article, to_channel, again, added)
