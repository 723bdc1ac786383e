"""The JSON feed pass against a local HTTP server serving pages shaped like the site's API, into
real databases (SQLite file and PostgreSQL): paging, conditional GETs, failures and backoff, and
feed items through a whole publishing run."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobs.ingest.feeds import FeedSpec, ingest_feeds
from jobs.publishing import publish_run
from jobs.selection import PublishRules
from jobs.stats import gather_stats
from storage.database import create_engine, create_sessionmaker
from storage.records import ChatKind, FeedHealth, IngestReport
from storage.unit_of_work import UnitOfWork
from tests.bot_process import CHANNEL_ID
from tests.conftest import Db
from tests.fake_telegram.server import FakeTelegram
from tests.feed_server import NOW, P1, P2, P3, P4, Fault, FeedServer, server
from tests.live_bot import add_channel, bot_config, live_bot

__all__ = ["server"]  # the fixture, from tests.feed_server

RULES = PublishRules(min_heat=100, max_age=timedelta(hours=24), max_per_run=5)
CHANNEL = -1001


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


async def _pass(
    db: Db, feeds: list[FeedSpec], clock: Callable[[], datetime] = lambda: NOW
) -> IngestReport:
    report = IngestReport()
    await ingest_feeds(db.uow, feeds, report, clock=clock, rand=lambda: 0.5)
    return report


async def _pass_after_restart(db: Db, feed: FeedSpec, at: datetime) -> None:
    """A pass as a restarted bot makes it: a new engine, nothing kept in memory."""
    engine = create_engine(db.url)
    try:
        sessions = create_sessionmaker(engine)
        await ingest_feeds(lambda: UnitOfWork(sessions), [feed], IngestReport(), clock=lambda: at)
    finally:
        await engine.dispose()


async def _health(db: Db, url: str) -> FeedHealth:
    async with db.uow() as tx:
        return await tx.feeds.health(url)


async def test_first_pass_reads_every_page_and_keeps_odd_items(
    db: Db, server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    report = await _pass(db, [FeedSpec(server.url(), max_pages=5)])
    assert server.paths() == [P1, P2, P3, P4]  # page 4 is a 404: the end, not a failure
    assert (report.new, report.updated, report.unchanged) == (8, 0, 0)
    assert [reason for _, reason in report.skipped] == [
        "no title",
        "no usable URL (webUrl/originalUrl)",
        "not an object but a JSON int",
    ]
    for label, reason in report.skipped:
        assert label.startswith(server.url(P1))
        assert any(
            server.url(P1) in r.getMessage() and reason in r.getMessage() for r in caplog.records
        )
    quiet = await db.article("https://example.org/quiet-model")
    assert (quiet.heat, quiet.image_url) == (None, None)
    hot = await db.article("https://example.org/hot-robot-hands")
    assert hot.published_at == datetime(2026, 11, 26, 9, tzinfo=UTC)
    # No publishedDateTime: dated when first seen, so the age window means "new to us".
    undated = await db.article("https://example.org/undated-chip")
    assert undated.published_at == NOW
    health = await _health(db, server.url())
    assert (health.consecutive_failures, health.total_errors) == (0, 0)
    assert health.last_success_at == NOW and health.next_attempt_at is None


async def test_second_pass_sends_validators_and_a_304_parses_nothing(
    db: Db, server: FeedServer
) -> None:
    feed = FeedSpec(server.url())
    await _pass(db, [feed])
    server.requests.clear()
    later = Clock()
    later.now = NOW + timedelta(hours=1)
    report = await _pass(db, [feed], later)
    # Every page is asked again, conditionally: unchanged ones cost a 304 and nothing else.
    assert [(r.path, r.status) for r in server.requests] == [
        (P1, 304),
        (P2, 304),
        (P3, 304),
        (P4, 404),
    ]
    assert all(r.if_none_match for r in server.requests[:3])
    first = server.requests[0]
    assert first.if_none_match is not None and first.if_none_match.startswith('"')
    assert first.if_modified_since is not None
    assert (report.new, report.updated, report.unchanged, report.skipped) == (0, 0, 0, [])
    undated = await db.article("https://example.org/undated-chip")
    assert undated.published_at == NOW  # not re-dated


async def test_pages_past_an_all_known_page_are_read_too(db: Db, server: FeedServer) -> None:
    feed = FeedSpec(server.url())
    await _pass(db, [feed])
    # The site moves on: one new article on page 1, page 2 re-rendered with a hotter old one.
    page1 = server.document(P1)
    fresh = dict(page1["value"][0], title="Fresh news", webUrl="https://example.org/fresh")
    page1["value"].insert(0, fresh)
    server.set_page(P1, page1)
    page2 = server.document(P2)
    page2["value"][0]["heat"] = 95
    server.set_page(P2, page2)
    server.requests.clear()
    report = await _pass(db, [feed])
    assert [(r.path, r.status) for r in server.requests] == [
        (P1, 200),
        (P2, 200),
        (P3, 304),  # unchanged since the last pass: read no further than its validators
        (P4, 404),
    ]
    assert (report.new, report.updated) == (1, 3 + 3)
    warmer = await db.article("https://example.org/older-vision")
    assert warmer.heat == 95


async def test_heat_rising_on_page_2_behind_an_unchanged_page_1_is_posted(
    db: Db, server: FeedServer
) -> None:
    """Issue 12 item 9: page 1 answers 304, page 2's known item warms from 76 to 101."""
    async with db.uow() as tx:
        await tx.chats.ensure_chat(CHANNEL, ChatKind.CHANNEL, "news", NOW)
    page2 = server.document(P2)
    page2["value"][0]["heat"] = 76
    server.set_page(P2, page2)
    feeds = [FeedSpec(server.url())]
    first = await publish_run(db.uow, [], RULES, CHANNEL, clock=lambda: NOW, feeds=feeds)
    assert "https://example.org/older-vision" not in [a.url for a in first.selected]

    page2["value"][0]["heat"] = 101
    server.set_page(P2, page2)
    server.requests.clear()
    later = NOW + timedelta(minutes=5)
    run = await publish_run(db.uow, [], RULES, CHANNEL, clock=lambda: later, feeds=feeds)
    assert [(r.path, r.status) for r in server.requests][:2] == [(P1, 304), (P2, 200)]
    assert [a.url for a in run.selected] == ["https://example.org/older-vision"]
    warmer = await db.article("https://example.org/older-vision")
    assert warmer.heat == 101


async def test_max_pages_is_honoured(db: Db, server: FeedServer) -> None:
    report = await _pass(db, [FeedSpec(server.url(), max_pages=2)])
    assert server.paths() == [P1, P2]
    assert report.new == 6


async def test_failures_back_off_longer_each_time_and_a_success_resets(
    db: Db, server: FeedServer
) -> None:
    feed = FeedSpec(server.url(), timeout_seconds=0.3)
    clock = Clock()
    delays: list[timedelta] = []
    for fault, error in [
        (Fault(status=500), "HTTP 500"),
        (Fault(hang=True), "timed out after 0.3 s"),
        (Fault(body=b'{"page": 1, "value": [{"title": '), "invalid JSON"),
    ]:
        server.faults[P1] = fault
        report = await _pass(db, [feed], clock)
        assert report.new == 0
        health = await _health(db, feed.url)
        assert health.last_error is not None and error in health.last_error
        assert health.next_attempt_at is not None
        delays.append(health.next_attempt_at - clock.now)
        # Until then the source is left alone, also by a restarted bot (a new engine).
        server.requests.clear()
        await _pass_after_restart(db, feed, health.next_attempt_at - timedelta(seconds=1))
        assert server.requests == []
        clock.now = health.next_attempt_at
    assert delays[0] < delays[1] < delays[2]
    health = await _health(db, feed.url)
    assert (health.consecutive_failures, health.total_errors) == (3, 3)

    server.faults.clear()
    report = await _pass(db, [feed], clock)
    # After failures the pass re-reads every page, unconditionally: a pass cut short must not
    # leave pages behind.
    assert server.paths() == [P1, P2, P3, P4]
    assert all(r.if_none_match is None for r in server.requests)
    assert report.new == 8
    health = await _health(db, feed.url)
    assert (health.consecutive_failures, health.total_errors) == (0, 3)
    assert health.next_attempt_at is None and health.last_success_at == clock.now


async def test_a_failing_page_keeps_the_pages_before_it_and_other_feeds_run(
    db: Db, server: FeedServer
) -> None:
    server.faults[P2] = Fault(status=503)
    other = "/mirror/api/news/index.json"
    server.set_page(other, server.document(P1) | {"nextPage": None})
    report = await _pass(db, [FeedSpec(server.url()), FeedSpec(server.url(other))])
    assert server.paths() == [P1, P2, other]
    assert report.new == 3  # page 1; the mirror holds the same articles (updated, not new)
    assert report.updated == 3
    failing = await _health(db, server.url())
    assert failing.consecutive_failures == 1 and "HTTP 503" in (failing.last_error or "")
    healthy = await _health(db, server.url(other))
    assert healthy.consecutive_failures == 0 and healthy.last_success_at == NOW

    # Page 1 is unchanged and all known now, but the pages after it were never read: the pass
    # after the failure reads them anyway.
    server.faults.clear()
    server.requests.clear()
    resume_at = failing.next_attempt_at
    assert resume_at is not None
    later = await _pass(db, [FeedSpec(server.url())], lambda: resume_at)
    assert [(r.path, r.status) for r in server.requests] == [
        (P1, 200),
        (P2, 200),
        (P3, 200),
        (P4, 404),
    ]
    assert later.new == 5


async def test_a_hot_feed_item_is_queued_for_the_channel(db: Db, server: FeedServer) -> None:
    async with db.uow() as tx:
        await tx.chats.ensure_chat(CHANNEL, ChatKind.CHANNEL, "news", NOW)
    run = await publish_run(
        db.uow, [], RULES, CHANNEL, clock=lambda: NOW, feeds=[FeedSpec(server.url())]
    )
    assert run.ingest.new == 8
    # heat 250 dated today; heat 120 undated (first seen now); null heat and < 100 are not.
    assert [a.url for a in run.selected] == [
        "https://example.org/hot-robot-hands",
        "https://example.org/undated-chip",
    ]
    assert run.enqueued == 2
    async with db.uow() as tx:
        hot = await tx.articles.article_by_url("https://example.org/hot-robot-hands")
        assert hot is not None
        delivery = await tx.outbox.delivery(hot.id, CHANNEL)
    assert delivery is not None


async def test_stats_gather_the_configured_feeds_health(db: Db, server: FeedServer) -> None:
    server.faults[P1] = Fault(status=500)
    await _pass(db, [FeedSpec(server.url())])
    never = server.url("/never/index.json")
    stats = await gather_stats(db.uow, RULES, CHANNEL, NOW, [never, server.url()])
    assert [f.url for f in stats.feeds] == [never, server.url()]
    assert stats.feeds[0] == FeedHealth(never)
    failing = stats.feeds[1]
    assert (failing.consecutive_failures, failing.total_errors) == (1, 1)
    assert failing.last_error == "page 1: HTTP 500 Internal Server Error"
    assert failing.last_error_at == NOW


async def test_a_next_page_link_that_fails_to_connect_is_a_failure_not_a_crash(
    db: Db, server: FeedServer
) -> None:
    page1 = server.document(P1)
    page1["nextPage"] = "http://127.0.0.1:1/ai/api/news/page/2/index.json"  # nothing listens
    server.set_page(P1, page1)
    report = await _pass(db, [FeedSpec(server.url())])
    assert report.new == 3  # page 1 is kept
    health = await _health(db, server.url())
    assert health.consecutive_failures == 1
    assert (health.last_error or "").startswith("page 2: network error")


async def test_items_with_nul_and_lone_surrogates_are_stored(db: Db, server: FeedServer) -> None:
    # json.dumps spells them as \\u0000 and \\ud800, as a server would
    odd = {"title": "Nul\u0000 title", "excerpt": "x \ud800 y", "webUrl": "https://example.org/odd"}
    server.set_page(P1, {"page": 1, "value": [odd], "nextPage": None})
    report = await _pass(db, [FeedSpec(server.url())])
    assert report.new == 1
    stored = await db.article("https://example.org/odd")
    assert (stored.title, stored.excerpt) == ("Nul title", "x \ufffd y")


async def test_the_running_bot_posts_from_a_configured_feed(
    server: FeedServer, tmp_path: Path
) -> None:
    """The wiring: `sources: [{url: …}]` in the config reaches the scheduled run."""
    with FakeTelegram(enforce_rate_limits=False) as fake:
        add_channel(fake)
        config = bot_config(
            tmp_path,
            fake,
            sources=[{"url": server.url()}],
            publish={"max_age_hours": None},
        )
        async with live_bot(fake, config) as bot:
            await bot.run_publishing()
            await fake.wait_for_async(
                lambda f: len(f.sent(CHANNEL_ID)) >= 2, what="the feed's hot items in the channel"
            )
        posted = {c.text.split("\n")[0] for c in fake.sent(CHANNEL_ID) if c.text}
    assert server.paths()[0] == P1
    assert len(posted) == len(fake.sent(CHANNEL_ID))  # each once
