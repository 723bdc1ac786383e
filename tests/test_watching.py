"""Watched folders: the pure decisions (which changed paths to ingest, when to try an unparseable
file again), the path-subset ingest on real databases, and the watcher on a real folder."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shutil
from pathlib import Path, PurePath

import pytest

from bot.config import ConfigError, parse_config
from bot.watcher import FolderWatcher
from jobs.ingest.files import ingest_files, ingest_paths
from jobs.ingest.watching import ChangeKind, SettleRetries, paths_to_ingest
from storage.records import IngestReport
from tests.article_factory import article_text, write_article
from tests.conftest import Db

ROOT = PurePath("/articles")
A, M, D = ChangeKind.ADDED, ChangeKind.MODIFIED, ChangeKind.DELETED


@pytest.mark.parametrize(
    ("changes", "dirs", "expected"),
    [
        ([(A, "/articles/a.md"), (M, "/articles/a.md")], (), ["/articles/a.md"]),
        ([(M, "/articles/sub/b.txt")], (), ["/articles/sub/b.txt"]),
        ([(D, "/articles/a.md")], (), []),  # the folder pass forgets it
        # an atomic rename: the temporary file is no article, its target is
        (
            [(A, "/articles/.a.md.tmp"), (D, "/articles/.a.md.tmp"), (A, "/articles/a.md")],
            (),
            ["/articles/a.md"],
        ),
        ([(A, "/articles/a.md.swp"), (A, "/articles/a.md~")], (), []),
        ([(A, "/articles/.git/x.md"), (A, "/articles/sub/.hidden/y.md")], (), []),
        ([(A, "/elsewhere/a.md"), (A, "/articles")], (), []),
        ([(A, "/articles/moved-in")], ("/articles/moved-in",), ["/articles/moved-in"]),
        ([(A, "/articles/not-a-folder")], (), []),
    ],
)
def test_paths_to_ingest(
    changes: list[tuple[ChangeKind, str]], dirs: tuple[str, ...], expected: list[str]
) -> None:
    assert paths_to_ingest(changes, ROOT, is_dir=dirs) == expected


def test_a_file_that_failed_is_tried_once_more_when_it_settles() -> None:
    retries = SettleRetries(settle=2.0)
    retries.attempted(["/a.md", "/b.md"], {"/a.md"}, now=10.0)
    assert retries.due(11.9) == []
    assert retries.due(12.0) == ["/a.md"]
    assert retries.due(20.0) == []  # taken: tried once
    retries.attempted(["/a.md"], {"/a.md"}, now=20.0, retried=["/a.md"])
    assert len(retries) == 0  # failed again unchanged: the folder pass records it


def test_a_new_change_restarts_the_wait_and_a_success_ends_it() -> None:
    retries = SettleRetries(settle=2.0)
    retries.attempted(["/a.md"], {"/a.md"}, now=10.0)
    retries.attempted(["/a.md"], {"/a.md"}, now=11.5)  # the writer's next step, still short
    assert retries.due(12.5) == []
    retries.attempted(["/a.md"], set(), now=12.6)  # complete now
    assert retries.due(99.0) == []
    # a folder moved in: its failed files wait, though only the folder was attempted
    retries.attempted(["/dir"], {"/dir/x.md"}, now=0.0)
    assert retries.due(5.0) == ["/dir/x.md"]


async def test_ingest_paths_reads_only_the_paths_given(db: Db, tmp_path: Path) -> None:
    a = write_article(tmp_path, "a.md", url="https://example.com/a")
    write_article(tmp_path, "b.md", url="https://example.com/b")
    write_article(tmp_path, "moved/c.md", url="https://example.com/c")
    write_article(tmp_path, "moved/.hidden/d.md", url="https://example.com/d")

    report = await ingest_paths(
        db.uow, [str(a), str(tmp_path / "moved"), str(tmp_path / "gone.md")]
    )
    assert (report.new, report.updated, report.unchanged, report.skipped) == (2, 0, 0, [])
    async with db.uow() as tx:
        assert await tx.articles.article_by_url("https://example.com/b") is None
    again = await ingest_paths(db.uow, [str(a)])
    assert (again.new, again.unchanged) == (0, 1)
    # the folder pass agrees: a and c are known and unchanged, b is new, d is hidden
    full = await ingest_files(db.uow, [tmp_path])
    assert (full.new, full.unchanged) == (1, 2)


async def test_ingest_paths_keeps_the_version_rules(db: Db, tmp_path: Path) -> None:
    base = 1_700_000_000 * 10**9
    write_article(tmp_path, "new.md", url="https://example.com/x", heat=300, mtime_ns=base + 10)
    await ingest_files(db.uow, [tmp_path])
    old = write_article(tmp_path, "old.md", url="https://example.com/x", heat=1, mtime_ns=base)
    report = await ingest_paths(db.uow, [str(old)])
    assert (report.new, report.updated, report.unchanged) == (0, 0, 1)
    stored = await db.article("https://example.com/x")
    assert stored.heat == 300


async def test_a_half_written_file_is_neither_logged_nor_recorded(
    db: Db, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "slow.md"
    text = article_text(url="https://example.com/slow")
    path.write_text(text[: len(text) // 2])
    with caplog.at_level(logging.INFO):
        half = await ingest_paths(db.uow, [str(path)])
    assert [p for p, _ in half.skipped] == [str(path)]
    assert "skipped" not in caplog.text
    path.write_text(text)
    whole = await ingest_paths(db.uow, [str(path)])
    assert (whole.new, whole.skipped) == (1, [])
    # and a file still broken once settled is the folder pass's to record, with its line
    (tmp_path / "bad.md").write_text("---\ntitle: [unclosed\n")
    await ingest_paths(db.uow, [str(tmp_path / "bad.md")])
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        full = await ingest_files(db.uow, [tmp_path])
    assert [p for p, _ in full.skipped] == [str(tmp_path / "bad.md")]
    assert "skipped" in caplog.text and "bad.md" in caplog.text


class Recorder:
    """The watcher's `on_change`: records the paths, says which do not parse yet."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.changed = asyncio.Event()

    async def __call__(self, paths: list[str]) -> IngestReport:
        self.calls.append(paths)
        self.changed.set()
        report = IngestReport()
        report.skipped += [(path, "broken YAML") for path in paths if _cut_short(path)]
        return report

    async def next_call(self, within: float = 10.0) -> list[str]:
        await asyncio.wait_for(self.changed.wait(), within)
        self.changed.clear()
        return self.calls[-1]


async def test_the_watcher_hands_over_changed_files_and_survives_its_folder(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    seen = Recorder()
    watcher = FolderWatcher([folder], seen, rearm_seconds=0.2)
    logs = LogWaiter()
    logger = logging.getLogger("bot.watcher")
    logger.addHandler(logs)
    logger.setLevel(logging.INFO)
    watcher.start()
    try:
        await _until_watching(folder, seen)
        write_article(folder, "a.md", url="https://example.com/a")
        assert await seen.next_call() == [str(folder / "a.md")]

        shutil.rmtree(folder)
        await logs.wait_for("cannot watch")
        folder.mkdir()
        await logs.wait_for("watching .* again")
        write_article(folder, "b.md", url="https://example.com/b")
        assert await seen.next_call() == [str(folder / "b.md")]
    finally:
        await asyncio.wait_for(watcher.stop(), 5)
        logger.removeHandler(logs)
        logger.setLevel(logging.NOTSET)
    assert sum("cannot watch" in line for line in logs.lines) == 1


async def test_a_file_that_does_not_parse_yet_is_tried_again_once_settled(
    tmp_path: Path,
) -> None:
    seen = Recorder()
    watcher = FolderWatcher([tmp_path], seen, settle_seconds=0.0)
    watcher.start()
    try:
        await _until_watching(tmp_path, seen)
        (tmp_path / "half.md").write_text("---\ntitle: half")
        assert await seen.next_call() == [str(tmp_path / "half.md")]
        # no new event: the tick after it settled tries it again, once
        assert await seen.next_call(within=5) == [str(tmp_path / "half.md")]
        await asyncio.sleep(1.5)  # more than a tick: nothing more comes
        assert len(seen.calls) == 2
    finally:
        await asyncio.wait_for(watcher.stop(), 5)


async def test_a_failing_run_does_not_end_the_watch(tmp_path: Path) -> None:
    seen = Recorder()
    failures = [RuntimeError("a bug in the run")]

    async def flaky(paths: list[str]) -> IngestReport:
        report = await seen(paths)
        if failures and str(tmp_path / "first.md") in paths:
            raise failures.pop()
        return report

    watcher = FolderWatcher([tmp_path], flaky)
    watcher.start()
    try:
        await _until_watching(tmp_path, seen)
        write_article(tmp_path, "first.md")
        assert await seen.next_call() == [str(tmp_path / "first.md")]
        write_article(tmp_path, "second.md")
        assert await seen.next_call() == [str(tmp_path / "second.md")]
    finally:
        await asyncio.wait_for(watcher.stop(), 5)
    assert failures == []


async def _until_watching(folder: Path, seen: Recorder) -> None:
    """The watch is up once a change is seen (watchfiles says nothing when it starts)."""
    probe = folder / "probe.md"
    for _ in range(40):
        probe.write_text(article_text())
        with contextlib.suppress(TimeoutError):
            if str(probe) in await seen.next_call(within=0.5):
                break
    else:
        raise AssertionError(f"the watcher never saw {probe}")
    probe.unlink()
    seen.calls.clear()


def _cut_short(path: str) -> bool:
    return Path(path).is_file() and not Path(path).read_text().endswith("---\n")


class LogWaiter(logging.Handler):
    """Wakes a test when a log line matching a pattern arrives (lines come on the loop)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self.arrived = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
        self.arrived.set()

    async def wait_for(self, pattern: str, within: float = 10.0) -> None:
        async with asyncio.timeout(within):
            while not any(re.search(pattern, line) for line in self.lines):
                self.arrived.clear()
                await self.arrived.wait()


CONFIG_HEAD = "telegram: {channel: '@my_ai_news'}\n"


@pytest.mark.parametrize(
    ("sources", "watched"),
    [
        ("[{path: a}]", ["a"]),
        ("[{path: a, watch: false}, {path: b, watch: true}]", ["b"]),
        ("[{url: 'https://example.com/feed.json'}]", []),
    ],
)
def test_folders_are_watched_unless_told_not_to(
    tmp_path: Path, sources: str, watched: list[str]
) -> None:
    config = parse_config(
        f"{CONFIG_HEAD}sources: {sources}\n", path=tmp_path / "config.yaml", env={}
    )
    assert config.watched_folders == [tmp_path / name for name in watched]


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        ("[{path: a, watch: maybe}]", "sources[0].watch: expected true or false, got 'maybe'"),
        ("[{path: a, watch: 1}]", "sources[0].watch: expected true or false, got 1"),
        ("[{url: 'https://example.com/f.json', watch: true}]", "sources[0].watch: unknown key"),
    ],
)
def test_a_bad_watch_key_is_named(sources: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_config(f"{CONFIG_HEAD}sources: {sources}\n", env={})
