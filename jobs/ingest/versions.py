"""Which version of an article the database keeps, when files and feed items disagree.

One article (one normalised URL) reaches ingest from several files and from the JSON feed, and
every source rewrites it now and then: heat drifts, a title is edited. A stored article remembers
where its version came from (`source_path`: the file, or the feed's address) and when that
version was made (`source_mtime_ns`: the file's mtime, or for a feed item the time it was
fetched, see `fetch_version_ns`). From those alone the rules below decide who wins; in every
rule a tie goes to the copy being read now.

The file rule and the feed rule differ in one case: the source that stored the version comes
back with an older stamp (a file's mtime set back by a restore or `touch -d`; the clock stepped
back between two fetches of a feed). A file then still replaces its own stored version, since
what it holds now is its newest content; a feed item does not, and the stored version stays
until the feed's fetch time passes its stamp again.

(Within one feed pass the first copy of a URL wins, earlier pages over later ones: that rule is
the page order, kept where the pages are read, in `feed_pages` and `feeds`.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Version(Protocol):
    """Where a stored article's version came from, and when that version was made."""

    @property
    def source_path(self) -> str: ...

    @property
    def source_mtime_ns(self) -> int: ...


def file_replaces_batch_copy(mtime_ns: int, kept_mtime_ns: int) -> bool:
    """Of two files in one batch holding the same URL, the one changed last wins: does this
    file's copy replace the copy kept so far?"""
    return mtime_ns >= kept_mtime_ns


def file_replaces_stored(path: str, mtime_ns: int, stored: Version) -> bool:
    """Does the copy in the file at `path` replace the stored version? Yes when the file changed
    no earlier than the stored version's source, and always when the stored version came from
    this very file (a file's present content is its newest, whatever its mtime says)."""
    return mtime_ns >= stored.source_mtime_ns or path == stored.source_path


def feed_item_replaces_stored(fetched_ns: int, stored: Version) -> bool:
    """Does a feed item fetched at `fetched_ns` replace the stored version? Yes when it was
    fetched no earlier than the stored version's source changed: of a feed item and a file
    holding the same URL, the version read last wins. Unlike a file, the feed that stored the
    version has no say beyond its fetch time (see the module's note)."""
    return fetched_ns >= stored.source_mtime_ns


def fetch_version_ns(fetched_at: datetime) -> int:
    """The stamp of a feed item's version: its fetch time plays a file's mtime."""
    return int(fetched_at.timestamp() * 1_000_000_000)
