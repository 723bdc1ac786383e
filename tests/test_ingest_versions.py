"""Which version of an article wins: the file rules and the feed rule, side by side."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from jobs.ingest.versions import (
    feed_item_replaces_stored,
    fetch_version_ns,
    file_replaces_batch_copy,
    file_replaces_stored,
)

FEED = "https://example.com/api/news/index.json"


@dataclass(frozen=True)
class Stored:
    source_path: str
    source_mtime_ns: int


@pytest.mark.parametrize(
    ("mtime_ns", "kept_mtime_ns", "replaces"),
    [(2, 1, True), (1, 1, True), (1, 2, False)],
)
def test_in_one_batch_the_file_changed_last_wins(
    mtime_ns: int, kept_mtime_ns: int, replaces: bool
) -> None:
    assert file_replaces_batch_copy(mtime_ns, kept_mtime_ns) is replaces


@pytest.mark.parametrize(
    ("path", "mtime_ns", "stored", "replaces"),
    [
        ("/a/new.md", 20, Stored("/a/old.md", 10), True),  # changed later
        ("/a/new.md", 10, Stored("/a/old.md", 10), True),  # a tie goes to the file read now
        ("/a/new.md", 5, Stored("/a/old.md", 10), False),  # an older copy elsewhere
        ("/a/old.md", 5, Stored("/a/old.md", 10), True),  # its own file, mtime set back
        ("/a/new.md", 5, Stored(FEED, 10), False),  # fetched after the file changed
        ("/a/new.md", 20, Stored(FEED, 10), True),  # changed after the fetch
    ],
)
def test_a_file_replaces_the_stored_version(
    path: str, mtime_ns: int, stored: Stored, replaces: bool
) -> None:
    assert file_replaces_stored(path, mtime_ns, stored) is replaces


@pytest.mark.parametrize(
    ("fetched_ns", "stored", "replaces"),
    [
        (20, Stored("/a/x.md", 10), True),  # fetched after the file changed
        (10, Stored("/a/x.md", 10), True),  # a tie goes to the fetch
        (5, Stored("/a/x.md", 10), False),  # the file changed after this fetch
        (20, Stored(FEED, 10), True),
        # The difference: the feed's own earlier version, stamped later (the clock went back),
        # is kept; a file in the same position replaces its own (see above).
        (5, Stored(FEED, 10), False),
    ],
)
def test_a_feed_item_replaces_the_stored_version(
    fetched_ns: int, stored: Stored, replaces: bool
) -> None:
    assert feed_item_replaces_stored(fetched_ns, stored) is replaces


def test_a_fetch_is_stamped_like_a_file_mtime() -> None:
    moment = datetime(2026, 3, 2, 9, 30, 15, 250_000, tzinfo=UTC)
    # Nanoseconds since the epoch, as st_mtime_ns; through a float, so exact to a microsecond.
    assert abs(fetch_version_ns(moment) - 1_772_443_815_250_000_000) < 1_000
