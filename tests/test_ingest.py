"""Ingest into real databases (SQLite file and PostgreSQL): new, updated, unchanged, skipped."""

from __future__ import annotations

import asyncio
import io
import itertools
import logging
import os
import shutil
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.progress import IngestBar, ingest_progress
from jobs.ingest import files as file_ingest
from jobs.ingest.files import ProgressLog, ingest_files
from jobs.publishing import publish_run
from jobs.selection import PublishRules
from storage.records import ChatKind
from tests.article_factory import write_article
from tests.conftest import Db
from tests.fifo_rescue import fifo_rescue

FIXTURES = Path(__file__).parent / "fixtures" / "articles"
NOW = datetime.now(UTC)
RULES = PublishRules(min_heat=100, max_age=timedelta(hours=24), max_per_run=5)
CHANNEL = -1001


async def test_new_then_unchanged_then_updated(db: Db, tmp_path: Path) -> None:
    write_article(tmp_path, "a.md", url="https://example.com/a", heat=80)
    write_article(tmp_path, "sub/b.md", url="https://example.com/b", heat=120)

    first = await ingest_files(db.uow, [tmp_path])
    assert (first.new, first.updated, first.unchanged, first.skipped) == (2, 0, 0, [])

    again = await ingest_files(db.uow, [tmp_path])
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)

    # The source rewrites files in place: heat drifts, the stored article follows.
    write_article(
        tmp_path, "a.md", url="https://example.com/a", heat=130, mtime_ns=_later(tmp_path / "a.md")
    )
    third = await ingest_files(db.uow, [tmp_path])
    assert (third.new, third.updated, third.unchanged) == (0, 1, 1)
    stored = await db.article("https://example.com/a")
    assert stored.heat == 130


async def test_same_url_in_two_files_is_one_article_and_the_newer_file_wins(
    db: Db, tmp_path: Path
) -> None:
    base = 1_700_000_000 * 10**9
    write_article(
        tmp_path,
        "new.md",
        url="https://example.com/x?utm_source=feed",
        title="New",
        mtime_ns=base + 10**9,
    )
    write_article(tmp_path, "old.md", url="https://example.com/x/", title="Old", mtime_ns=base)
    report = await ingest_files(db.uow, [tmp_path])
    assert report.new == 1
    async with db.uow() as tx:
        assert await tx.stats.count_articles() == 1
        stored = await tx.articles.article_by_url("https://example.com/x")
    assert stored is not None and stored.title == "New"

    # Touching the older file makes it the one changed last: it wins now.
    write_article(
        tmp_path,
        "old.md",
        url="https://example.com/x",
        title="Old, edited",
        mtime_ns=base + 5 * 10**9,
    )
    await ingest_files(db.uow, [tmp_path])
    stored = await db.article("https://example.com/x")
    assert stored.title == "Old, edited"


async def test_malformed_files_are_skipped_with_a_reason_and_good_ones_kept(
    db: Db, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shutil.copytree(FIXTURES, tmp_path / "src")
    caplog.set_level(logging.WARNING)
    report = await ingest_files(db.uow, [tmp_path / "src"])
    skipped = dict(report.skipped)
    assert report.new >= 3
    assert any(p.endswith("binary_junk.md") for p in skipped)
    assert any(p.endswith("broken_yaml.md") for p in skipped)
    assert any(p.endswith("no_title.md") for p in skipped)
    for path, reason in skipped.items():
        assert reason
        assert any(path in r.getMessage() and reason in r.getMessage() for r in caplog.records)
    # Skipped files are remembered too: the next pass does not parse (or log) them again.
    caplog.clear()
    again = await ingest_files(db.uow, [tmp_path / "src"])
    assert again.skipped == [] and again.new == 0
    assert not [r for r in caplog.records if "skipped" in r.getMessage()]


async def test_missing_folder_is_logged_not_fatal(db: Db, tmp_path: Path) -> None:
    report = await ingest_files(db.uow, [tmp_path / "nope"])
    assert (report.new, report.skipped) == (0, [])


async def test_heat_rising_over_threshold_makes_article_eligible_later(
    db: Db, tmp_path: Path
) -> None:
    async with db.uow() as tx:
        await tx.chats.ensure_chat(CHANNEL, ChatKind.CHANNEL, "news", NOW)
    path = write_article(tmp_path, "a.md", url="https://example.com/warming", heat=90)
    first = await publish_run(db.uow, [tmp_path], RULES, CHANNEL)
    assert first.selected == []
    write_article(
        tmp_path, "a.md", url="https://example.com/warming", heat=140, mtime_ns=_later(path)
    )
    second = await publish_run(db.uow, [tmp_path], RULES, CHANNEL)
    assert [a.url for a in second.selected] == ["https://example.com/warming"]
    assert second.enqueued == 1
    # Once queued for the channel it is never selected again, whatever its heat does.
    write_article(
        tmp_path, "a.md", url="https://example.com/warming", heat=200, mtime_ns=_later(path)
    )
    third = await publish_run(db.uow, [tmp_path], RULES, CHANNEL)
    assert third.selected == [] and third.enqueued == 0


async def test_selection_respects_age_window_and_cap(db: Db, tmp_path: Path) -> None:
    async with db.uow() as tx:
        await tx.chats.ensure_chat(CHANNEL, ChatKind.CHANNEL, "news", NOW)
    for i in range(8):
        write_article(tmp_path, f"{i}.md", url=f"https://example.com/{i}", heat=100 + i)
    write_article(
        tmp_path,
        "old.md",
        url="https://example.com/old",
        heat=280,
        published_at=NOW - timedelta(days=2),
    )
    write_article(tmp_path, "draft.md", url="https://example.com/draft", heat=280, published=False)
    write_article(tmp_path, "cold.md", url="https://example.com/cold", heat=None)
    run = await publish_run(db.uow, [tmp_path], RULES, CHANNEL)
    assert [a.url for a in run.selected] == [f"https://example.com/{i}" for i in (7, 6, 5, 4, 3)]
    run2 = await publish_run(db.uow, [tmp_path], RULES, CHANNEL)
    assert [a.url for a in run2.selected] == [f"https://example.com/{i}" for i in (2, 1, 0)]


async def test_progress_follows_the_batches_and_a_rescan_parses_nothing(
    db: Db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(file_ingest, "BATCH", 2)
    for i in range(5):
        write_article(tmp_path, f"{i}.md", url=f"https://example.com/{i}", topics=("AI", "ML"))
    calls: list[tuple[int, int]] = []
    first = await ingest_files(db.uow, [tmp_path], progress=lambda *call: calls.append(call))
    assert calls == [(0, 5), (2, 5), (4, 5), (5, 5)]
    assert first.new == 5
    calls.clear()
    again = await ingest_files(db.uow, [tmp_path], progress=lambda *call: calls.append(call))
    assert calls == [] and (again.new, again.updated, again.unchanged) == (0, 0, 5)


async def test_bulk_batches_keep_newest_wins_and_forget_vanished_files(
    db: Db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Across batches (2 files each), the file changed last still wins, and a file that is gone
    # is forgotten, so that reappearing it counts as new again.
    monkeypatch.setattr(file_ingest, "BATCH", 2)
    base = 1_700_000_000 * 10**9
    for i in range(5):
        write_article(
            tmp_path, f"{i}.md", url="https://example.com/same", heat=i, mtime_ns=base + i
        )
    report = await ingest_files(db.uow, [tmp_path])
    assert report.new == 1  # how many later copies count as updates depends on the walk order
    assert report.new + report.updated + report.unchanged == 5  # each file counted once
    async with db.uow() as tx:
        stored = await tx.articles.article_by_url("https://example.com/same")
        assert await tx.stats.count_articles() == 1
    assert (
        stored is not None
        and stored.heat == 4
        and stored.topics
        == (
            "AI",
            "Natural Language Processing",
        )
    )
    gone = tmp_path / "0.md"
    kept = gone.read_bytes()
    gone.unlink()
    assert (await ingest_files(db.uow, [tmp_path])).unchanged == 4
    gone.write_bytes(kept)
    os.utime(gone, ns=(base, base))
    back = await ingest_files(db.uow, [tmp_path])
    assert (back.new, back.updated, back.unchanged) == (0, 0, 5)  # older copy: kept the newest


@pytest.mark.parametrize("huge", [False, True])
async def test_parsing_yields_to_the_loop_and_huge_files_go_to_a_thread(
    db: Db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, huge: bool
) -> None:
    monkeypatch.setattr(file_ingest, "PARSE_SLICE", 2)
    if huge:
        monkeypatch.setattr(file_ingest, "THREAD_BYTES", 0)  # every file counts as huge
    for i in range(6):
        write_article(tmp_path, f"{i}.md", url=f"https://example.com/{i}")
    ticks = 0
    seen: list[tuple[int, str]] = []
    real_parse_files = file_ingest.parse_files

    def spy(files: Sequence[file_ingest.FileStat]) -> list[file_ingest.Parsed]:
        seen.append((ticks, threading.current_thread().name))
        return real_parse_files(files)

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    monkeypatch.setattr(file_ingest, "parse_files", spy)
    beat = asyncio.create_task(ticker())
    try:
        report = await ingest_files(db.uow, [tmp_path])
    finally:
        beat.cancel()
    assert report.new == 6 and len(seen) == 3
    # Other tasks ran between two slices (in one batch: no database await in between).
    assert all(a[0] < b[0] for a, b in itertools.pairwise(seen))
    in_loop_thread = {name == threading.current_thread().name for _, name in seen}
    assert in_loop_thread == {not huge}


async def test_a_file_that_turns_into_a_fifo_after_the_scan_is_skipped_not_waited_on(
    db: Db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    write_article(tmp_path, "good.md", url="https://example.com/good")
    turned = write_article(tmp_path, "turned.md", url="https://example.com/turned")
    real_walk = file_ingest.walk_articles

    def walk_then_swap(root: Path) -> Iterator[file_ingest.FileStat]:
        # The scan saw a regular file; by the time it is opened, it is a FIFO.
        yield from real_walk(root)
        turned.unlink()
        os.mkfifo(turned)

    monkeypatch.setattr(file_ingest, "walk_articles", walk_then_swap)
    caplog.set_level(logging.WARNING)
    with fifo_rescue(turned) as rescue:
        report = await ingest_files(db.uow, [tmp_path])
    assert not rescue.needed, "ingest waited for a writer to the FIFO"
    assert report.new == 1
    assert report.skipped == [(str(turned), "not a regular file (a FIFO)")]
    lines = [r.getMessage() for r in caplog.records if str(turned) in r.getMessage()]
    assert lines == [f"skipped {turned}: not a regular file (a FIFO)"]


def test_progress_log_says_how_far_a_long_pass_got(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="jobs.ingest.files")
    clock = iter([0.0, 1.0, 5.0, 6.0, 10.5, 11.0])
    log_progress = ProgressLog(Path("/articles"), every=5.0, monotonic=lambda: next(clock))
    for done in (100, 200, 300, 400, 500):
        log_progress(done, 500)
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "ingest of /articles: 200 of 500 changed files parsed",
        "ingest of /articles: 400 of 500 changed files parsed",
    ]


def test_ingest_bar_draws_on_a_terminal_only() -> None:
    stream = io.StringIO()
    assert ingest_progress(stream) is None  # not a terminal: ingest logs lines instead
    bar = IngestBar(stream)
    for done in (0, 500, 1000):
        bar(done, 1000)
    bar(0, 3)  # the next folder gets its own bar
    bar(3, 3)
    output = stream.getvalue()
    assert "1000/1000" in output and "3/3" in output


def _later(path: Path) -> int:
    return path.stat().st_mtime_ns + 2 * 10**9
