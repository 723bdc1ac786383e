"""How a long ingest shows its progress to a person at a terminal: a tqdm bar on stderr.

Off a terminal (a service, a pipe, a log file) there is no bar: jobs.ingest then logs a line
every few seconds by itself, which is what belongs in a journal."""

from __future__ import annotations

import sys
from typing import Never, TextIO

from tqdm import tqdm

from jobs.ingest.files import ProgressCallback


class IngestBar:
    """A progress callback for jobs.ingest drawing one bar per folder pass."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._bar: tqdm[Never] | None = None

    def __call__(self, done: int, total: int) -> None:
        bar = self._bar
        if bar is None or bar.total != total or done < bar.n:
            self.close()  # the next folder
            bar = self._bar = tqdm(
                total=total, unit="file", desc="ingest", file=self._stream, dynamic_ncols=True
            )
        bar.update(done - bar.n)
        if done >= total:
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def ingest_progress(stream: TextIO | None = None) -> ProgressCallback | None:
    """A bar when `stream` (stderr by default) is a terminal; None otherwise, so that ingest
    falls back to its periodic log lines."""
    target = sys.stderr if stream is None else stream
    return IngestBar(target) if target.isatty() else None
