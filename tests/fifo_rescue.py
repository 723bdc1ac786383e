"""Turns "blocked forever on a FIFO" into a test failure instead of a hung test run.

Opening a FIFO for reading without O_NONBLOCK waits for a writer, on whatever thread does it
(the event loop's, for ingest), so no asyncio timeout can fire. A thread that, after a grace
period, opens the FIFO for writing and closes it again releases such a reader (it then reads
EOF); the test asserts that no rescue was needed."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

GRACE_SECONDS = 2.0


class Rescue:
    def __init__(self) -> None:
        self.needed = False


@contextlib.contextmanager
def fifo_rescue(fifo: Path) -> Iterator[Rescue]:
    rescue = Rescue()
    done = threading.Event()

    def release() -> None:
        while not done.wait(GRACE_SECONDS):
            try:
                # Succeeds only while a reader has the FIFO open (or is blocked opening it).
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                continue
            os.close(fd)
            rescue.needed = True

    watchdog = threading.Thread(target=release, name="fifo-rescue", daemon=True)
    watchdog.start()
    try:
        yield rescue
    finally:
        done.set()
        watchdog.join()
