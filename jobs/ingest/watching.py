"""What a watched folder's changes ask of ingest (pure): which changed paths to ingest now, and
which files that did not parse yet to try again once they have settled.

A file is written in steps, so a watcher may see it half written: its YAML front matter cut
short does not parse. Such a file is not a skip yet. It is tried again on its next change (the
writer's next step raises one), or, if none comes, once more after it has been quiet for
SETTLE_SECONDS (an event lost on the way); after that the scheduled run, which walks the
folder, is the safety net and records (and logs) the skip."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from enum import Enum
from pathlib import PurePath

from jobs.ingest.files import ARTICLE_SUFFIXES

SETTLE_SECONDS = 2.0


class ChangeKind(Enum):
    ADDED = "added"
    MODIFIED = "modified"
    DELETED = "deleted"


def paths_to_ingest(
    changes: Iterable[tuple[ChangeKind, str]], root: PurePath, *, is_dir: Collection[str] = ()
) -> list[str]:
    """The changed paths under `root` worth ingesting, sorted: article files that were added
    or modified, and added folders (`is_dir`: a folder moved in raises one event for itself,
    none for its files). Deleted files are left to the folder pass, which forgets them; what
    lives in hidden folders or has another suffix (an editor's swap file, a writer's temporary
    file before its atomic rename) is not an article, as in the folder pass."""
    wanted = set()
    for kind, path in changes:
        if kind is ChangeKind.DELETED:
            continue
        try:
            parts = PurePath(path).relative_to(root).parts
        except ValueError:
            continue  # outside the folder: not ours
        if not parts or any(part.startswith(".") for part in parts):
            continue
        if path in is_dir or path.endswith(ARTICLE_SUFFIXES):
            wanted.add(path)
    return sorted(wanted)


class SettleRetries:
    """Files that did not parse when a change was seen, with when that was."""

    def __init__(self, settle: float = SETTLE_SECONDS) -> None:
        self._settle = settle
        self._failed_at: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._failed_at)

    def due(self, now: float) -> list[str]:
        """The files quiet for `settle` since they failed: to try once more, now. They leave
        the list: a second failure without a new change is the folder pass's to record."""
        ready = sorted(p for p, at in self._failed_at.items() if now - at >= self._settle)
        for path in ready:
            del self._failed_at[path]
        return ready

    def attempted(
        self,
        paths: Iterable[str],
        failed: Collection[str],
        now: float,
        *,
        retried: Collection[str] = (),
    ) -> None:
        """Note the outcome of ingesting `paths`: the files that `failed` (a folder's among
        them) wait to settle, unless they were only `retried`; the rest are done."""
        for path in paths:
            if path not in failed:
                self._failed_at.pop(path, None)
        for path in failed:
            if path in retried:
                self._failed_at.pop(path, None)
            else:
                self._failed_at[path] = now
