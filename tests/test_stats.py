"""/stats: the per-day counting and the text (pure), and the chart when matplotlib is there."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.charts import posts_per_day_png
from bot.formatting import visible_length
from bot.handlers.stats import stats_text
from jobs.stats import Stats, daily_counts
from storage.records import DeliveryStatus, FeedHealth, IngestCounts

TODAY = date(2026, 11, 26)
NOON = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_daily_counts_fill_gaps_and_use_utc_days() -> None:
    times = [
        NOON,
        NOON - timedelta(hours=11, minutes=59),  # 00:01 UTC today
        NOON - timedelta(hours=12, minutes=1),  # 23:59 UTC yesterday
        # 01:00 on the 26th in UTC+2 is the 25th, 23:00 UTC
        datetime(2026, 11, 26, 1, 0, tzinfo=timezone(timedelta(hours=2))),
        NOON - timedelta(days=20),  # outside the window
    ]
    counts = daily_counts(times, TODAY, 3)
    assert counts == [(date(2026, 11, 24), 0), (date(2026, 11, 25), 2), (TODAY, 2)]


def _stats(**changes: object) -> Stats:
    base = Stats(
        now=NOON,
        paused=False,
        articles=120,
        eligible=3,
        posted_today=2,
        posts_per_day=daily_counts([NOON], TODAY, 14),
        last_run_at=NOON - timedelta(minutes=4),
        last_ingest=IngestCounts(new=1, updated=2, unchanged=117, skipped=0),
        skipped_files=[("/data/articles/2026/bad <1>.md", "broken YAML & more")],
        subscribers=[("AI & Robots", 4), ("NLP", 1)],
        chats_active=5,
        chats_inactive=1,
        deliveries={DeliveryStatus.PENDING: 2, DeliveryStatus.SENDING: 1, DeliveryStatus.FAILED: 1},
    )
    return Stats(**{**{f: getattr(base, f) for f in base.__dataclass_fields__}, **changes})


def test_stats_text() -> None:
    text = stats_text(_stats(), [Path("/data/articles")])
    assert text.splitlines() == [
        "<b>feedbot</b> — scheduled publishing on",
        "Articles: 120 stored · 3 eligible now · 2 posted today",
        "Last run: 2026-11-26 11:56 UTC (4 min ago)",
        "Last ingest: 1 new, 2 updated, 117 unchanged files",
        "Files skipped at the last ingest (1):",
        "• 2026/bad &lt;1&gt;.md: broken YAML &amp; more",
        "Chats: 5 active · 1 inactive",
        "Deliveries: 3 pending · 1 failed · 0 sent",
        "Subscribers per topic:",
        "• AI &amp; Robots: 4",
        "• NLP: 1",
    ]


def test_stats_text_paused_never_run_and_long_lists_stay_short() -> None:
    many = [(f"/x/{n}.md", "not UTF-8 text") for n in range(500)]
    topics = [(f"Topic {n}", 1) for n in range(500)]
    text = stats_text(
        _stats(
            paused=True, last_run_at=None, last_ingest=None, skipped_files=many, subscribers=topics
        )
    )
    assert "scheduled publishing <b>paused</b> (/resume)" in text
    assert "Last run: never" in text and "Last ingest" not in text
    assert text.count("• … and 490 more") == 2  # files and topics
    assert visible_length(text) < 4096


def test_chart_is_a_png() -> None:
    pytest.importorskip("matplotlib")
    png = posts_per_day_png(daily_counts([NOON], TODAY, 14), "posts")
    assert png is not None and png.startswith(b"\x89PNG\r\n\x1a\n")


def test_stats_text_lists_feed_sources_with_their_error_counts() -> None:
    feeds = [
        FeedHealth(
            "https://everyday-cc.github.io/ai/api/news/index.json",
            total_errors=2,
            last_error="page 1: HTTP 503",
            last_success_at=NOON - timedelta(minutes=5),
        ),
        FeedHealth(
            "https://example.org/api/<topic>/index.json",
            consecutive_failures=3,
            total_errors=7,
            last_error="page 2: timed out after 20 s & more",
            last_error_at=NOON - timedelta(minutes=1),
            next_attempt_at=NOON + timedelta(minutes=3),
        ),
        FeedHealth("https://example.net/index.json"),
    ]
    lines = stats_text(_stats(feeds=feeds)).splitlines()
    start = lines.index("Feeds:")
    assert lines[start + 1 : start + 4] == [
        "• everyday-cc.github.io/ai/api/news/index.json: ok, last fetched "
        "2026-11-26 11:55 UTC (5 min ago) · 2 errors in all",
        "• example.org/api/&lt;topic&gt;/index.json: <b>failing</b> (3 in a row, 7 errors in "
        "all); last error: page 2: timed out after 20 s &amp; more; next attempt 12:03 UTC",
        "• example.net/index.json: not fetched yet",
    ]
    assert lines[start + 4].startswith("Chats:")


def test_stats_text_without_feeds_has_no_feed_section() -> None:
    assert "Feeds:" not in stats_text(_stats())


def test_many_feeds_stay_short() -> None:
    feeds = [
        FeedHealth(f"https://example.org/{n}/index.json", 1, 1, "x" * 1000) for n in range(100)
    ]
    text = stats_text(_stats(feeds=feeds))
    assert "• … and 90 more" in text
    assert visible_length(text) < 4096


def test_stats_text_counts_not_news_and_lists_rising_stories() -> None:
    from dataclasses import replace as changed

    from jobs.stats import Rising
    from tests.test_selection import article

    climbing = changed(article(1, heat=95), title="A <climbing> story")
    text = stats_text(_stats(not_news=2, rising=[Rising(climbing, 23)]))
    assert "Not news (publish.exclude): 2 left out at the last run" in text.splitlines()
    assert "Rising now (1):" in text.splitlines()
    assert "• 📈 A &lt;climbing&gt; story: 🔥 95 (+23)" in text.splitlines()
    assert "Rising now: none" in stats_text(_stats(rising=[]))
    quiet = stats_text(_stats())  # rising off, nothing left out: no lines about either
    assert "Rising" not in quiet and "Not news" not in quiet
