"""An article file's front matter: the YAML mapping between its `---` lines (the body, usually
empty, is ignored), read without waiting on anything that is not a regular file.

The files come from a third-party generator that rewrites them in place every hour or two, so
anything can be in them: a half-written file, an old format, a FIFO swapped in after the scan.
Reading is total: a file either yields its front matter as a dict or raises
`UnusableArticleError` with a reason short enough for a log line and the ingest report, never
anything else, so one bad file can never stop an ingest pass. What the fields mean is
`jobs.ingest.fields`' job.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from jobs.ingest.fields import FIELDS, UnusableArticleError, short_reason

try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # PyYAML built without libyaml: same results, about five times slower
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

# Real files are 1–10 KB; the cap bounds memory and parse time when something else lands in the
# folder (a log, an archive, a runaway write).
MAX_FILE_BYTES = 16 * 1024 * 1024


class _ArticleLoader(_SafeLoader):
    """The safe loader, except that an impossible date stays a string instead of failing, and
    with the tags of short plain scalars remembered across files."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # Every file repeats the same keys and small values (`title`, `heat`, `true`, `news`),
        # and PyYAML matches each against its regexes anew: a third of the Python time of a
        # load. Without path resolvers a plain scalar's tag depends on its text alone.
        if kind is yaml.ScalarNode and implicit[0] and len(value) <= _MAX_REMEMBERED_CHARS:
            tag = _PLAIN_TAGS.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
                if len(_PLAIN_TAGS) < _MAX_REMEMBERED_TAGS:
                    _PLAIN_TAGS[value] = tag
            return tag
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]


_PLAIN_TAGS: dict[str, str] = {}
_MAX_REMEMBERED_CHARS = 40
_MAX_REMEMBERED_TAGS = 10_000


def _construct_timestamp(loader: _ArticleLoader, node: yaml.ScalarNode) -> object:
    # "2021-02-30" matches YAML's timestamp pattern and then fails in datetime(), and an explicit
    # `!!timestamp soon` fails PyYAML's regex with an AttributeError: one bad field
    # (published_at becomes None), not a reason to drop the whole article.
    try:
        return loader.construct_yaml_timestamp(node)
    except (ValueError, OverflowError, AttributeError):
        return loader.construct_scalar(node)


_ArticleLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)

_STR_TAG = "tag:yaml.org,2002:str"


def _construct_fields(front_matter: str) -> object:
    """What `yaml.load` returns, except that a mapping of plain string keys gets only the keys
    in FIELDS. Anything unusual at the top (merge keys, tagged or complex keys, not a mapping)
    is constructed whole, so it fails or succeeds exactly as yaml.load would.

    FIELDS are the only keys the mapping reads. The rest (related items, `secured` blobs, AMP
    URLs: often half the file) is still parsed, in C, but never built into Python objects,
    which is where most of the loading time goes."""
    loader = _ArticleLoader(front_matter)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if not isinstance(node, yaml.MappingNode) or not all(
            isinstance(key, yaml.ScalarNode) and key.tag == _STR_TAG for key, _ in node.value
        ):
            return loader.construct_document(node)
        fields = {}
        for key, value in node.value:  # in file order: of duplicate keys the last wins
            if key.value in FIELDS:
                fields[key.value] = loader.construct_object(value)
        # Fill in the collections construct_object left for later, as construct_document does:
        # deferring them is what lets a recursive alias (`topics: &t [AI, *t]`) load.
        while loader.state_generators:
            pending, loader.state_generators = loader.state_generators, []
            for generator in pending:
                for _ in generator:
                    pass
        return fields
    finally:
        loader.dispose()


# O_NONBLOCK: a path that was a regular file when the folder was scanned can be a FIFO by the
# time it is opened (the generator's folder is not ours), and opening a FIFO for reading waits
# for a writer, on the event loop. Non-blocking, the open returns at once and fstat tells what
# it is. O_NOCTTY: a terminal that lands there never becomes the bot's controlling terminal.
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY

_NOT_REGULAR = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def read_front_matter(path: Path | str) -> dict[Any, Any]:
    """Read one file's front matter; a file over MAX_FILE_BYTES is refused, not read whole, and
    anything but a regular file is refused without waiting on it."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
        try:
            status = os.fstat(fd)
            if not stat.S_ISREG(status.st_mode):
                raise UnusableArticleError(_not_regular(status.st_mode))
            # One byte more than allowed tells "too large" apart without trusting a stat that a
            # concurrent rewrite can make stale.
            data = _read_at_most(fd, MAX_FILE_BYTES + 1, status.st_size)
            if len(data) > MAX_FILE_BYTES:
                raise UnusableArticleError(_too_large(max(len(data), _file_size(fd))))
        finally:
            os.close(fd)
    except OSError as error:
        raise UnusableArticleError(f"cannot read: {_describe_os_error(error)}") from None
    return parse_front_matter(data)


def _read_at_most(fd: int, limit: int, size: int) -> bytes:
    """Up to `limit` bytes from fd, to its end; `size` (fstat's) sizes the first read.

    os.read on the descriptor rather than a file object: BufferedReader.read(limit) allocates
    `limit` bytes (16 MB) per file, which made reading a 5 KB article about five times slower.
    """
    chunks = []
    total = 0
    want = min(size + 1, limit)  # one byte more than fstat said: a file that grew shows it
    while total < limit:
        chunk = os.read(fd, want)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        want = min(max(total, _READ_CHUNK), limit - total)
    return b"".join(chunks)


_READ_CHUNK = 64 * 1024


def _not_regular(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "cannot read: is a directory"  # what open() says of one
    kind = next((name for test, name in _NOT_REGULAR if test(mode)), "of an unknown kind")
    return f"not a regular file ({kind})"


def parse_front_matter(data: bytes) -> dict[Any, Any]:
    """The front matter of these file bytes; raises UnusableArticleError and nothing else."""
    if len(data) > MAX_FILE_BYTES:
        raise UnusableArticleError(_too_large(len(data)))
    try:
        text = data.decode("utf-8-sig")  # "-sig" drops one leading BOM, as editors on Windows add
    except UnicodeDecodeError:
        raise UnusableArticleError("not UTF-8 text") from None
    front_matter, first_line = _front_matter(text)
    return _load_yaml(front_matter, first_line)


# A line that is `---` and trailing blanks (any whitespace but the newline, as str.rstrip sees it).
_DELIMITER = re.compile(r"^---[^\S\n]*$", re.MULTILINE)


def _front_matter(text: str) -> tuple[str, int]:
    """The YAML between the opening and closing `---` lines, and its first line number (1-based).

    Whatever follows the closing line (the body, usually empty) is ignored. Two regex searches
    rather than splitting the file into lines: this runs once per file of a 100k-file ingest.
    """
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    opening = _DELIMITER.search(text)
    # Only blank lines may come before the opening line.
    if opening is None or text[: opening.start()].strip():
        raise UnusableArticleError("no front matter")
    closing = _DELIMITER.search(text, opening.end())
    if closing is None:
        raise UnusableArticleError("unclosed front matter (no closing ---)")
    start = opening.end() + 1
    end = max(start, closing.start() - 1)  # without the newline that ends the last YAML line
    return text[start:end], text.count("\n", 0, opening.start()) + 2


def _load_yaml(front_matter: str, first_line: int) -> dict[Any, Any]:
    try:
        fields = _construct_fields(front_matter)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "unreadable"
        where = f" at line {mark.line + first_line}" if mark is not None else ""
        raise UnusableArticleError(short_reason(f"broken YAML{where}: {problem}")) from None
    except yaml.reader.ReaderError as error:
        # Its position counts bytes in libyaml and characters in pure Python: find the character.
        code = error.character if isinstance(error.character, int) else -1
        if not 0 <= code <= 0x10FFFF:
            raise UnusableArticleError(short_reason(f"broken YAML: {error.reason}")) from None
        index = front_matter.find(chr(code))
        line = front_matter.count("\n", 0, index) + first_line
        where = f" at line {line}" if index >= 0 else ""
        raise UnusableArticleError(
            f"broken YAML{where}: character #x{code:04X} not allowed"
        ) from None
    except yaml.YAMLError as error:
        raise UnusableArticleError(short_reason(f"broken YAML: {error}")) from None
    except Exception as error:
        # PyYAML's constructors are not total: an integer over Python's digit limit raises
        # ValueError, nesting deeper than the pure-Python loader can recurse RecursionError, and
        # explicitly tagged junk (`!!bool maybe`) whatever the constructor trips on.
        detail = f"{type(error).__name__}: {error}"
        raise UnusableArticleError(
            short_reason(f"broken YAML: unreadable value ({detail})")
        ) from None
    if fields is None:
        raise UnusableArticleError("empty front matter")
    if not isinstance(fields, dict):
        raise UnusableArticleError("front matter is not a mapping")
    return fields


def _too_large(size: int) -> str:
    limit_mb = MAX_FILE_BYTES // (1024 * 1024)
    return f"file too large ({size / (1024 * 1024):.1f} MB > {limit_mb} MB)"


def _file_size(fileno: int) -> int:
    try:
        return os.fstat(fileno).st_size
    except OSError:
        return 0


def _describe_os_error(error: OSError) -> str:
    # "permission denied" rather than "[Errno 13] Permission denied: '/full/path'": the report
    # already names the file.
    reason = error.strerror or type(error).__name__
    return reason[:1].lower() + reason[1:]
