"""Watched folders: a file written into one is ingested and posted within seconds, not at the
next scheduled run. watchfiles (Rust notify: inotify on Linux) does the watching in a thread
and groups a burst of events; jobs.ingest.watching decides what a burst asks for; the
composition root's `on_change` runs the publishing decision for those paths.

The scheduled run stays the safety net: whatever the watcher misses (a network mount raising
no events, a folder that vanished, an inotify limit) it finds on its walk. So a watcher failure
is one log line and a retry now and then, never a crash."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from watchfiles import Change, awatch

from jobs.ingest.files import ARTICLE_SUFFIXES
from jobs.ingest.watching import SETTLE_SECONDS, ChangeKind, SettleRetries, paths_to_ingest
from storage.errors import is_database_unavailable
from storage.records import IngestReport

log = logging.getLogger(__name__)

# A burst is handed over once the folder has been quiet this long (ms): a writer's steps a few
# ms apart arrive as one change. Longer pauses may split it; SettleRetries covers those.
QUIET_MS = 200
# ...and at the latest this long after its first event (ms), however busy the folder.
BURST_MS = 1600
# How often the watch thread wakes without events (ms): to try settled files again, and to
# notice the stop event (it also checks that every QUIET_MS).
TICK_MS = 1000
# After a failure, how often to try watching the folder again (s).
REARM_SECONDS = 30.0

OnChange = Callable[[list[str]], Awaitable[IngestReport]]

_KINDS = {
    Change.added: ChangeKind.ADDED,
    Change.modified: ChangeKind.MODIFIED,
    Change.deleted: ChangeKind.DELETED,
}


class FolderGoneError(Exception):
    """The watched folder is not there (removed, renamed, not mounted yet): nothing to watch."""


class FolderWatcher:
    """One task per watched folder, each feeding its changed paths to `on_change`."""

    def __init__(
        self,
        folders: Sequence[Path],
        on_change: OnChange,
        *,
        rearm_seconds: float = REARM_SECONDS,
        settle_seconds: float = SETTLE_SECONDS,
    ) -> None:
        self._folders = list(folders)
        self._on_change = on_change
        self._rearm = rearm_seconds
        self._settle = settle_seconds
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._up: dict[Path, bool] = {}

    def start(self) -> None:
        for folder in self._folders:
            self._tasks.append(asyncio.create_task(self._keep_watching(folder), name="watch"))

    async def stop(self) -> None:
        """Return once every watch has ended (within about QUIET_MS, or the run in progress)."""
        self._stop.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def _keep_watching(self, folder: Path) -> None:
        self._up[folder] = True  # a failure while up is news; another while down is not
        while not self._stop.is_set():
            try:
                await self._watch(folder)
            except Exception as exc:  # the scheduled run is the fallback for any failure
                if self._up[folder]:
                    log.warning(
                        "cannot watch %s (%s); its new files wait for the scheduled run; "
                        "trying again every %g s",
                        folder,
                        _reason(exc),
                        self._rearm,
                    )
                self._up[folder] = False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._rearm)

    async def _watch(self, folder: Path) -> None:
        # watchfiles, told to pass over unreadable subfolders, passes over a missing root too
        if not await asyncio.to_thread(folder.is_dir):
            raise FolderGoneError("no such folder")
        retries = SettleRetries(self._settle)
        async for changes in awatch(
            folder,
            watch_filter=None,  # jobs.ingest.watching filters, by the folder pass's rules
            debounce=BURST_MS,
            step=QUIET_MS,
            rust_timeout=TICK_MS,
            yield_on_timeout=True,
            stop_event=self._stop,
            ignore_permission_denied=True,
        ):
            if not self._up[folder]:
                log.info("watching %s again", folder)
                self._up[folder] = True
            kinds = [(_KINDS[change], path) for change, path in changes]
            if (ChangeKind.DELETED, str(folder)) in kinds:
                raise FolderGoneError("the folder was removed")
            added = [
                p for k, p in kinds if k is ChangeKind.ADDED and not p.endswith(ARTICLE_SUFFIXES)
            ]
            dirs = await asyncio.to_thread(_folders_among, added) if added else set()
            fresh = paths_to_ingest(kinds, folder, is_dir=dirs)
            retried = [p for p in retries.due(time.monotonic()) if p not in fresh]
            paths = fresh + retried
            if paths:
                await self._ingest(folder, paths, retries, retried)

    async def _ingest(
        self, folder: Path, paths: list[str], retries: SettleRetries, retried: list[str]
    ) -> None:
        try:
            report = await self._on_change(paths)
        except Exception as exc:  # the scheduled run catches up; the watch goes on
            if is_database_unavailable(exc):
                log.warning(
                    "database unavailable: %d changed file(s) in %s wait for the scheduled run",
                    len(paths),
                    folder,
                )
            else:
                log.error(
                    "error in the run for %d changed file(s) in %s",
                    len(paths),
                    folder,
                    exc_info=exc,
                )
            return
        failed = {path for path, _ in report.skipped}
        retries.attempted(paths, failed, time.monotonic(), retried=retried)


def _folders_among(paths: list[str]) -> set[str]:
    return {path for path in paths if Path(path).is_dir()}


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
