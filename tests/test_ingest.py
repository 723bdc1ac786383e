"""Ingest into real databases (SQLite file and PostgreSQL): new, updated, unchanged, skipped."""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobs.ingest import ingest
from jobs.publishing import publish_run
from jobs.selection import PublishRules
from storage.records import ChatKind
from tests.article_factory import write_article
from tests.conftest import Db

FIXTURES = Path(__file__).parent / "fixtures" / "articles"
NOW = datetime.now(UTC)
RULES = PublishRules(min_heat=100, max_age=timedelta(hours=24), max_per_run=5)
CHANNEL = -1001


async def test_new_then_unchanged_then_updated(db: Db, tmp_path: Path) -> None:
    write_article(tmp_path, "a.md", url="https://example.com/a", heat=80)
    write_article(tmp_path, "sub/b.md", url="https://example.com/b", heat=120)

    first = await ingest(db.uow, [tmp_path])
    assert (first.new, first.updated, first.unchanged, first.skipped) == (2, 0, 0, [])

    again = await ingest(db.uow, [tmp_path])
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)

    # The source rewrites files in place: heat drifts, the stored article follows.
    write_article(
        tmp_path, "a.md", url="https://example.com/a", heat=130, mtime_ns=_later(tmp_path / "a.md")
    )
    third = await ingest(db.uow, [tmp_path])
    assert (third.new, third.updated, third.unchanged) == (0, 1, 1)
    async with db.uow() as repo:
        stored = await repo.article_by_url("https://example.com/a")
    assert stored is not None and stored.heat == 130


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
    report = await ingest(db.uow, [tmp_path])
    assert report.new == 1
    async with db.uow() as repo:
        assert await repo.count_articles() == 1
        stored = await repo.article_by_url("https://example.com/x")
    assert stored is not None and stored.title == "New"

    # Touching the older file makes it the one changed last: it wins now.
    write_article(
        tmp_path,
        "old.md",
        url="https://example.com/x",
        title="Old, edited",
        mtime_ns=base + 5 * 10**9,
    )
    await ingest(db.uow, [tmp_path])
    async with db.uow() as repo:
        stored = await repo.article_by_url("https://example.com/x")
    assert stored is not None and stored.title == "Old, edited"


async def test_malformed_files_are_skipped_with_a_reason_and_good_ones_kept(
    db: Db, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shutil.copytree(FIXTURES, tmp_path / "src")
    caplog.set_level(logging.WARNING)
    report = await ingest(db.uow, [tmp_path / "src"])
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
    again = await ingest(db.uow, [tmp_path / "src"])
    assert again.skipped == [] and again.new == 0
    assert not [r for r in caplog.records if "skipped" in r.getMessage()]


async def test_missing_folder_is_logged_not_fatal(db: Db, tmp_path: Path) -> None:
    report = await ingest(db.uow, [tmp_path / "nope"])
    assert (report.new, report.skipped) == (0, [])


async def test_heat_rising_over_threshold_makes_article_eligible_later(
    db: Db, tmp_path: Path
) -> None:
    async with db.uow() as repo:
        await repo.ensure_chat(CHANNEL, ChatKind.CHANNEL, "news", NOW)
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
    async with db.uow() as repo:
        await repo.ensure_chat(CHANNEL, ChatKind.CHANNEL, "news", NOW)
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


def _later(path: Path) -> int:
    return path.stat().st_mtime_ns + 2 * 10**9
