"""The file source: bring the stored articles up to date with the article files under the
source folders.

Only files whose size or mtime changed since the last pass are parsed, so a rescan of a large,
unchanged folder costs one directory walk and one query."""

from __future__ import annotations

import asyncio
import logging
import os
import stat as stat_module
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from jobs.ingest.fields import UnusableArticleError, article_from_fields
from jobs.ingest.front_matter import parse_front_matter, read_front_matter
from jobs.ingest.versions import file_replaces_batch_copy, file_replaces_stored
from storage.records import ArticleData, IngestReport, SourcedArticle
from storage.unit_of_work import UowFactory

log = logging.getLogger(__name__)

ARTICLE_SUFFIXES = (".md", ".txt")
BATCH = 2000  # files stored per transaction: fewer commits and statements per file (measured)
# Files parsed between two yields to the event loop: about 5 ms of work, so commands and
# deliveries keep flowing during a long ingest.
PARSE_SLICE = 25
# Real article files are 1–10 KB; a slice holding a file above this is parsed in a thread.
THREAD_BYTES = 256 * 1024


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


def read_article_file(path: Path | str) -> ArticleData:
    """The article one file describes; raises UnusableArticleError with the reason it is none."""
    return article_from_fields(read_front_matter(path))


def parse_article(data: bytes) -> ArticleData:
    """The article the bytes of one file describe; raises UnusableArticleError and nothing else."""
    return article_from_fields(parse_front_matter(data))


def _scan(folder: Path) -> list[FileStat] | None:
    return list(walk_articles(folder)) if folder.is_dir() else None


def parse_files(stats: Sequence[FileStat]) -> list[Parsed]:
    """Blocking: read and parse these files (a slice small enough not to stall the loop)."""
    parsed = []
    for stat in stats:
        try:
            parsed.append(Parsed(stat, read_article_file(stat.path), None))
        except UnusableArticleError as exc:
            parsed.append(Parsed(stat, None, str(exc)))
    return parsed


ProgressCallback = Callable[[int, int], None]
"""Called as (files parsed so far, files to parse) after each batch of a pass over a folder."""

# How often a long ingest says how far it got when nobody passed a progress callback.
PROGRESS_LOG_SECONDS = 5.0


async def ingest_files(
    uow: UowFactory,
    folders: Sequence[Path],
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Bring the stored articles up to date with the files under `folders`.

    `progress` hears (parsed, to parse) after every batch; without one, a pass that takes
    longer than PROGRESS_LOG_SECONDS logs a line every PROGRESS_LOG_SECONDS."""
    report = IngestReport()
    for folder in folders:
        await _ingest_folder(uow, folder, report, clock, progress or ProgressLog(folder))
    return report


class ProgressLog:
    """The default progress reporter: a log line now and then, so a long first ingest of a big
    archive does not look like a hung bot."""

    def __init__(
        self,
        folder: Path,
        *,
        every: float = PROGRESS_LOG_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._folder = folder
        self._every = every
        self._monotonic = monotonic
        self._next = monotonic() + every

    def __call__(self, done: int, total: int) -> None:
        now = self._monotonic()
        if now >= self._next and done < total:
            self._next = now + self._every
            log.info("ingest of %s: %d of %d changed files parsed", self._folder, done, total)


async def _ingest_folder(
    uow: UowFactory,
    folder: Path,
    report: IngestReport,
    clock: Callable[[], datetime],
    progress: ProgressCallback,
) -> None:
    on_disk = await asyncio.to_thread(_scan, folder)
    if on_disk is None:
        log.warning("source folder %s does not exist or is not a folder; nothing ingested", folder)
        return
    prefix = str(folder).rstrip(os.sep) + os.sep
    async with uow() as tx:
        known = await tx.sources.source_file_stats(prefix)
    changed = [s for s in on_disk if known.pop(s.path, None) != (s.size, s.mtime_ns)]
    report.unchanged += len(on_disk) - len(changed)
    del on_disk
    vanished = known.keys()  # what is left of `known` after the walk claimed its files
    if vanished:
        async with uow() as tx:
            await tx.sources.forget_source_files(vanished)
    del known
    total = len(changed)
    if total:
        progress(0, total)
    done = 0
    for start in range(0, total, BATCH):
        parsed = await parse_in_slices(changed[start : start + BATCH])
        done += await _store(uow, parsed, report, clock())
        progress(done, total)


async def ingest_paths(
    uow: UowFactory,
    paths: Sequence[str],
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> IngestReport:
    """Bring the stored articles up to date with just these paths (a watcher's changes: files,
    or folders moved in, which are walked), by the folder pass's rules and without walking the
    source folders.

    A file that does not parse is in the report's `skipped` but neither logged nor recorded: it
    may be half written, and the watcher tries it again once it settles; the folder pass records
    it for good. Files gone since are left to the folder pass too, which forgets them."""
    report = IngestReport()
    on_disk = await asyncio.to_thread(_stat_paths, paths)
    for start in range(0, len(on_disk), BATCH):
        stats = on_disk[start : start + BATCH]
        known: dict[str, tuple[int, int]] = {}
        async with uow() as tx:
            for stat in stats:
                # a prefix query: the file itself, and whatever longer path it prefixes
                known.update(await tx.sources.source_file_stats(stat.path))
        changed = [s for s in stats if known.get(s.path) != (s.size, s.mtime_ns)]
        report.unchanged += len(stats) - len(changed)
        parsed = await parse_in_slices(changed)
        unsettled = [p for p in parsed if p.article is None]
        for item in unsettled:
            log.debug("%s does not parse yet (%s); trying again once it settles", *_why(item))
        report.skipped += [_why(item) for item in unsettled]
        await _store(uow, [p for p in parsed if p.article is not None], report, clock())
    return report


def _why(item: Parsed) -> tuple[str, str]:
    return item.stat.path, item.reason or "unknown"


def _stat_paths(paths: Sequence[str]) -> list[FileStat]:
    """Blocking: the article files among `paths` (folders walked); a path gone is passed over."""
    found: list[FileStat] = []
    for path in paths:
        try:
            st = Path(path).stat()
        except OSError:
            continue  # removed or renamed since the change was seen
        if stat_module.S_ISDIR(st.st_mode):
            found += walk_articles(Path(path))
        elif stat_module.S_ISREG(st.st_mode) and path.endswith(ARTICLE_SUFFIXES):
            found.append(FileStat(path, st.st_size, st.st_mtime_ns))
    return found


async def parse_in_slices(stats: Sequence[FileStat]) -> list[Parsed]:
    """Parse on the event loop, yielding to the bot's other tasks every PARSE_SLICE files.

    Not in a worker thread, and not overlapped with the previous batch's writes: parsing is
    Python holding the GIL, and a parsing thread (or parsing while the database driver's
    thread works) fighting for it made a large ingest a quarter slower and cost more CPU than
    doing one thing at a time, here, a slice at a time (measured with bench.ingest)."""
    parsed: list[Parsed] = []
    for start in range(0, len(stats), PARSE_SLICE):
        files = stats[start : start + PARSE_SLICE]
        if any(stat.size > THREAD_BYTES for stat in files):
            # Something far bigger than an article (up to MAX_FILE_BYTES): seconds of parsing
            # that must not stall the loop.
            parsed += await asyncio.to_thread(parse_files, files)
        else:
            parsed += parse_files(files)
            await asyncio.sleep(0)
    return parsed


async def _store(
    uow: UowFactory, parsed: Sequence[Parsed], report: IngestReport, now: datetime
) -> int:
    """Write one parsed batch in one transaction; returns how many files it covered."""
    for item in parsed:
        if item.article is None:
            log.warning("skipped %s: %s", item.stat.path, item.reason)
            report.skipped.append((item.stat.path, item.reason or "unknown"))
    # Of two files in one batch with the same URL, the one changed last wins; the other is an
    # older copy, counted as unchanged as it is in a later pass (where the winner is stored).
    latest: dict[str, Parsed] = {}
    for item in parsed:
        if item.article is not None:
            seen = latest.get(item.article.url)
            if seen is None or file_replaces_batch_copy(item.stat.mtime_ns, seen.stat.mtime_ns):
                latest[item.article.url] = item
            if seen is not None:
                report.unchanged += 1
    async with uow() as tx:
        stored = await tx.articles.stored_versions(latest)
        new: list[SourcedArticle] = []
        replaced: list[tuple[int, SourcedArticle]] = []
        for url, item in latest.items():
            assert item.article is not None
            sourced = SourcedArticle(item.article, item.stat.path, item.stat.mtime_ns)
            version = stored.get(url)
            if version is None:
                new.append(sourced)
            elif file_replaces_stored(item.stat.path, item.stat.mtime_ns, version):
                replaced.append((version.id, sourced))
            else:
                log.debug(
                    "%s: older copy of %s (kept %s)", item.stat.path, url, version.source_path
                )
                report.unchanged += 1
        await tx.articles.add_articles(new, now)
        await tx.articles.replace_articles(replaced, now)
        report.new += len(new)
        report.updated += len(replaced)
        await tx.sources.record_source_files(
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
    return len(parsed)
