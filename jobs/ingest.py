"""Ingest: bring the stored articles up to date with the article files under the source folders.

Only files whose size or mtime changed since the last pass are parsed, so a rescan of a large,
unchanged folder costs one directory walk and one query."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from jobs.article_files import ArticleFileError, read_article_file
from storage.records import ArticleData, IngestReport
from storage.repository import UowFactory

log = logging.getLogger(__name__)

ARTICLE_SUFFIXES = (".md", ".txt")
BATCH = 500


@dataclass(frozen=True, slots=True)
class FileStat:
    path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class Parsed:
    stat: FileStat
    article: ArticleData | None
    reason: str | None  # why it was skipped, when article is None


def walk_articles(root: Path) -> Iterator[FileStat]:
    """Every article file under root, recursively; unreadable folders are logged and passed."""
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            log.warning("cannot list %s: %s", folder, exc.strerror or exc)
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if not entry.name.startswith("."):
                        stack.append(entry.path)
                elif entry.name.endswith(ARTICLE_SUFFIXES) and entry.is_file():
                    st = entry.stat()
                    yield FileStat(entry.path, st.st_size, st.st_mtime_ns)
            except OSError as exc:
                log.warning("cannot stat %s: %s", entry.path, exc.strerror or exc)


def _scan(folder: Path) -> list[FileStat] | None:
    return list(walk_articles(folder)) if folder.is_dir() else None


def parse_files(stats: Sequence[FileStat]) -> list[Parsed]:
    """Blocking: runs in a worker thread so the bot keeps answering while a large folder parses."""
    parsed = []
    for stat in stats:
        try:
            parsed.append(Parsed(stat, read_article_file(Path(stat.path)), None))
        except ArticleFileError as exc:
            parsed.append(Parsed(stat, None, str(exc)))
    return parsed


async def ingest(
    uow: UowFactory,
    folders: Sequence[Path],
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> IngestReport:
    report = IngestReport()
    for folder in folders:
        await _ingest_folder(uow, folder, report, clock)
    return report


async def _ingest_folder(
    uow: UowFactory, folder: Path, report: IngestReport, clock: Callable[[], datetime]
) -> None:
    on_disk = await asyncio.to_thread(_scan, folder)
    if on_disk is None:
        log.warning("source folder %s does not exist or is not a folder; nothing ingested", folder)
        return
    prefix = str(folder).rstrip(os.sep) + os.sep
    async with uow() as repo:
        known = await repo.source_file_stats(prefix)
    changed = [s for s in on_disk if known.get(s.path) != (s.size, s.mtime_ns)]
    report.unchanged += len(on_disk) - len(changed)
    vanished = known.keys() - {s.path for s in on_disk}
    if vanished:
        async with uow() as repo:
            await repo.forget_source_files(vanished)
    # Parse the next batch while the current one is written.
    batches = [changed[i : i + BATCH] for i in range(0, len(changed), BATCH)]
    pending = asyncio.ensure_future(asyncio.to_thread(parse_files, batches[0])) if batches else None
    for index in range(len(batches)):
        assert pending is not None
        parsed = await pending
        if index + 1 < len(batches):
            pending = asyncio.ensure_future(asyncio.to_thread(parse_files, batches[index + 1]))
        await _store(uow, parsed, report, clock())


async def _store(
    uow: UowFactory, parsed: Sequence[Parsed], report: IngestReport, now: datetime
) -> None:
    for item in parsed:
        if item.article is None:
            log.warning("skipped %s: %s", item.stat.path, item.reason)
            report.skipped.append((item.stat.path, item.reason or "unknown"))
    # Of two files in one batch with the same URL, the one changed last wins.
    latest: dict[str, Parsed] = {}
    for item in parsed:
        if item.article is not None:
            seen = latest.get(item.article.url)
            if seen is None or item.stat.mtime_ns >= seen.stat.mtime_ns:
                latest[item.article.url] = item
    async with uow() as repo:
        stored = await repo.stored_versions(latest)
        for url, item in latest.items():
            assert item.article is not None
            version = stored.get(url)
            if version is None:
                await repo.add_article(
                    item.article,
                    source_path=item.stat.path,
                    source_mtime_ns=item.stat.mtime_ns,
                    now=now,
                )
                report.new += 1
            elif (
                item.stat.mtime_ns >= version.source_mtime_ns
                or item.stat.path == version.source_path
            ):
                await repo.replace_article(
                    version.id,
                    item.article,
                    source_path=item.stat.path,
                    source_mtime_ns=item.stat.mtime_ns,
                    now=now,
                )
                report.updated += 1
            else:
                log.debug(
                    "%s: older copy of %s (kept %s)", item.stat.path, url, version.source_path
                )
                report.unchanged += 1
        await repo.record_source_files(
            [
                (
                    i.stat.path,
                    i.stat.size,
                    i.stat.mtime_ns,
                    i.article.url if i.article else None,
                    i.reason,
                )
                for i in parsed
            ]
        )
