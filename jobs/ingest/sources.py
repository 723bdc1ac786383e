"""One ingest pass over every source: the article folders, then the JSON feeds, in one report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from jobs.ingest.feeds import FeedSpec, ingest_feeds
from jobs.ingest.files import ProgressCallback, ingest_files
from storage.records import IngestReport
from storage.unit_of_work import UowFactory


async def ingest_sources(
    uow: UowFactory,
    folders: Sequence[Path],
    feeds: Sequence[FeedSpec] = (),
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Ingest the files under `folders`, then `feeds`, into one report; `progress` hears how
    far the file passes got (see jobs.ingest.files.ingest_files)."""
    report = await ingest_files(uow, folders, clock=clock, progress=progress)
    await ingest_feeds(uow, feeds, report, clock=clock)
    return report
