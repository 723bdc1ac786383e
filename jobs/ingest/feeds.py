"""Ingest from the site's paged JSON API: page 1, then `nextPage`, into the stored articles.

One pass per source and run. It reads every page up to `max_pages`, each with the validators it
was last served with: a page that did not change answers 304 and costs nothing (its next page is
the one it pointed at last time), one that did is stored in full. Reading on past pages that
hold only known articles is what lets a known article's heat rise on page 2 or later be seen
(76 -> 101 is a post). A source that fails (network error, timeout, HTTP error, a page that is
not a feed page) is left alone for a growing, jittered delay that is kept in the database, so a
restart does not hammer it again; its error counts are what /stats shows.

Items carry no `published` flag; that is not "unpublished" (only an explicit false is), so the
same selection rules apply to them as to files.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import httpx

from jobs.ingest.feed_pages import (
    MAX_PAGE_BYTES,
    FeedPage,
    FeedPageError,
    backoff_delay,
    parse_page,
)
from jobs.ingest.versions import feed_item_replaces_stored, fetch_version_ns
from storage.records import (
    ArticleData,
    FeedHealth,
    IngestReport,
    KnownPage,
    PageValidators,
    SourcedArticle,
)
from storage.unit_of_work import UowFactory

log = logging.getLogger(__name__)

USER_AGENT = "feedbot"


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """One JSON feed source as the jobs see it (bot.config.FeedSource carries the same)."""

    url: str
    max_pages: int = 5
    timeout_seconds: float = 20


class FeedFetchError(Exception):
    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True, slots=True)
class _Fetched:
    body: bytes
    validators: PageValidators


async def ingest_feeds(
    uow: UowFactory,
    feeds: Sequence[FeedSpec],
    report: IngestReport,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    client: httpx.AsyncClient | None = None,
    rand: Callable[[], float] = random.random,
) -> None:
    """One pass over every feed, adding to `report`. Feed failures are recorded, never raised."""
    if not feeds:
        return
    async with _http(client) as http:
        for feed in feeds:
            await _ingest_feed(uow, http, feed, report, clock, rand)


@asynccontextmanager
async def _http(client: httpx.AsyncClient | None) -> AsyncIterator[httpx.AsyncClient]:
    if client is not None:
        yield client
        return
    async with httpx.AsyncClient(
        follow_redirects=True,
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
    ) as http:
        yield http


async def _ingest_feed(
    uow: UowFactory,
    http: httpx.AsyncClient,
    feed: FeedSpec,
    report: IngestReport,
    clock: Callable[[], datetime],
    rand: Callable[[], float],
) -> None:
    async with uow() as tx:
        health = await tx.feeds.health(feed.url)
    now = clock()
    if health.next_attempt_at is not None and health.next_attempt_at > now:
        log.info(
            "feed %s: left alone until %s after %d failure(s) (last: %s)",
            feed.url,
            health.next_attempt_at.isoformat(timespec="seconds"),
            health.consecutive_failures,
            health.last_error,
        )
        return
    # After a failure the pass before may have stopped half-way, storing page 1 but not the
    # pages after it, and their validators could hide that; so a pass after a failure re-reads
    # every page up to max_pages, unconditionally.
    thorough = health.consecutive_failures > 0
    seen: set[str] = set()  # article URLs handled earlier in this pass (pages shift meanwhile)
    visited: set[str] = set()
    url: str | None = feed.url
    pages = 0
    while url is not None and pages < feed.max_pages and url not in visited:
        visited.add(url)
        pages += 1
        try:
            fetched = await _fetch(uow, http, feed, url, conditional=not thorough)
            if isinstance(fetched, KnownPage):  # as last time, and last time's items are stored
                log.debug("feed %s: %s not modified", feed.url, url)
                url = fetched.next_url
                continue
            page = parse_page(fetched.body, url, feed.url)
        except FeedFetchError as error:
            if pages > 1 and error.status == 404:
                log.info("feed %s: %s does not exist; taken as the last page", feed.url, url)
                break
            await _record_failure(uow, feed, health, f"page {pages}: {error.reason}", clock(), rand)
            return
        except FeedPageError as error:
            await _record_failure(uow, feed, health, f"page {pages}: {error.reason}", clock(), rand)
            return
        await _store_page(uow, feed, page, fetched.validators, report, clock(), seen)
        url = page.next_url
    async with uow() as tx:
        await tx.feeds.record_success(feed.url, clock())
    if health.consecutive_failures:
        log.info("feed %s: back after %d failure(s)", feed.url, health.consecutive_failures)


async def _fetch(
    uow: UowFactory, http: httpx.AsyncClient, feed: FeedSpec, url: str, *, conditional: bool
) -> _Fetched | KnownPage:
    """The page's body and validators, or the page as last read when it answers 304."""
    headers: dict[str, str] = {}
    known = None
    if conditional:
        async with uow() as tx:
            known = await tx.feeds.known_page(url)
        if known is not None and known.validators.etag:
            headers["If-None-Match"] = known.validators.etag
        if known is not None and known.validators.last_modified:
            headers["If-Modified-Since"] = known.validators.last_modified
    try:
        # httpx's timeout bounds each read; the outer one bounds the whole page, so a server
        # trickling a byte a second cannot hold the run.
        async with asyncio.timeout(feed.timeout_seconds):
            async with http.stream(
                "GET", url, headers=headers, timeout=feed.timeout_seconds
            ) as response:
                if response.status_code == 304 and known is not None and headers:
                    return known
                if response.status_code != 200:
                    raise FeedFetchError(
                        f"HTTP {response.status_code} {response.reason_phrase}".strip(),
                        response.status_code,
                    )
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_PAGE_BYTES:
                        raise FeedFetchError(f"page larger than {MAX_PAGE_BYTES // 2**20} MB")
                validators = PageValidators(
                    response.headers.get("ETag"), response.headers.get("Last-Modified")
                )
    except (TimeoutError, httpx.TimeoutException):
        raise FeedFetchError(f"timed out after {feed.timeout_seconds:g} s") from None
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as error:
        # InvalidURL: a nextPage link no client could request; not an HTTPError in httpx.
        detail = str(error) or type(error).__name__
        raise FeedFetchError(f"network error: {detail}") from None
    return _Fetched(bytes(body), validators)


async def _store_page(
    uow: UowFactory,
    feed: FeedSpec,
    page: FeedPage,
    validators: PageValidators,
    report: IngestReport,
    now: datetime,
    seen: set[str],
) -> int:
    """Store the page's items and validators in one transaction; returns how many were new."""
    for label, reason in page.skipped:
        log.warning("feed %s: skipped %s on %s: %s", feed.url, label, page.url, reason)
        report.skipped.append((f"{page.url} {label}", reason))
    items = [a for a in page.items if a.url not in seen]
    seen.update(a.url for a in items)
    version_ns = fetch_version_ns(now)
    async with uow() as tx:
        stored = await tx.articles.stored_versions([a.url for a in items])
        undated = [a.url for a in items if a.published_at is None and a.url in stored]
        dates = await tx.articles.stored_dates(undated) if undated else {}
        new: list[SourcedArticle] = []
        replaced: list[tuple[int, SourcedArticle]] = []
        for article in items:
            sourced = SourcedArticle(
                _dated(article, dates.get(article.url, now)), feed.url, version_ns
            )
            version = stored.get(article.url)
            if version is None:
                new.append(sourced)
            elif feed_item_replaces_stored(version_ns, version):
                replaced.append((version.id, sourced))
            else:  # a file changed after this fetch holds a newer version
                report.unchanged += 1
        # In bulk, as the file pass writes: a handful of statements per page, not per item.
        await tx.articles.add_articles(new, now)
        await tx.articles.replace_articles(replaced, now)
        report.new += len(new)
        report.updated += len(replaced)
        await tx.feeds.save_validators(page.url, validators, now, next_url=page.next_url)
    return len(new)


def _dated(article: ArticleData, fallback: datetime) -> ArticleData:
    # Real items carry publishedDateTime, used as is (as for files: one article read from both
    # sources gets one date). An item without one gets the time we first stored it, so the age
    # window means "new to us": without any date the selection would drop it as undated, and
    # a feed item has no file mtime to stand in for one. An article already stored keeps the
    # date it has, or every pass would make it look new again.
    if article.published_at is not None:
        return article
    return replace(article, published_at=fallback)


async def _record_failure(
    uow: UowFactory,
    feed: FeedSpec,
    before: FeedHealth,
    reason: str,
    now: datetime,
    rand: Callable[[], float],
) -> None:
    delay = backoff_delay(before.consecutive_failures + 1, rand())
    async with uow() as tx:
        health = await tx.feeds.record_failure(
            feed.url, reason, now=now, next_attempt_at=now + delay
        )
    log.warning(
        "feed %s failed (%d in a row, %d in all): %s; next attempt in %d s",
        feed.url,
        health.consecutive_failures,
        health.total_errors,
        reason,
        delay.total_seconds(),
    )
