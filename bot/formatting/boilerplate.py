"""The sources' boilerplate, kept as data (boilerplate.yaml beside this module) so that a footer
seen in a new feed is one more entry with its example, not a code change.

Rule: an excerpt loses every `lead` pattern at its start, every `anywhere` pattern wherever it
occurs, and every `tail` pattern at its end (until none matches); an excerpt that is one of the
`placeholders` (any case, trailing dots ignored) is no excerpt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import yaml

DATA_FILE = "boilerplate.yaml"
# Long enough for any footer, short enough that a megabyte excerpt is not scanned with
# end-anchored patterns from every starting position.
_TAIL_WINDOW = 1000


@dataclass(frozen=True, slots=True)
class Boilerplate:
    lead: tuple[re.Pattern[str], ...]
    anywhere: tuple[re.Pattern[str], ...]
    tail: tuple[re.Pattern[str], ...]
    placeholders: frozenset[str]
    examples: tuple[tuple[re.Pattern[str], str], ...]  # each pattern with the text it removes


def parse_boilerplate(text: str) -> Boilerplate:
    """The patterns of a boilerplate.yaml document; ValueError names the entry that is wrong."""
    document = yaml.safe_load(text)
    if not isinstance(document, dict):
        raise ValueError(f"{DATA_FILE}: not a mapping")
    examples: list[tuple[re.Pattern[str], str]] = []
    sections = {}
    for section in ("lead", "anywhere", "tail"):
        patterns = []
        for index, entry in enumerate(document.get(section) or []):
            pattern, example = _entry(entry, f"{DATA_FILE}: {section}[{index}]")
            patterns.append(pattern)
            examples.append((pattern, example))
        sections[section] = tuple(patterns)
    placeholders = document.get("placeholders") or []
    if not isinstance(placeholders, list) or not all(isinstance(p, str) for p in placeholders):
        raise ValueError(f"{DATA_FILE}: placeholders must be a list of strings")
    return Boilerplate(
        lead=sections["lead"],
        anywhere=sections["anywhere"],
        tail=sections["tail"],
        placeholders=frozenset(_placeholder_key(p) for p in placeholders),
        examples=tuple(examples),
    )


def _entry(entry: Any, where: str) -> tuple[re.Pattern[str], str]:
    if not isinstance(entry, dict) or not isinstance(entry.get("pattern"), str):
        raise ValueError(f"{where}: needs a `pattern` string")
    if not isinstance(entry.get("example"), str):
        raise ValueError(f"{where}: needs an `example` string the pattern removes")
    flags = re.DOTALL | (re.IGNORECASE if entry.get("ignore_case") is True else 0)
    try:
        return re.compile(entry["pattern"], flags), entry["example"]
    except re.error as error:
        raise ValueError(f"{where}: {error}") from None


def _load() -> Boilerplate:
    return parse_boilerplate(files(__package__).joinpath(DATA_FILE).read_text(encoding="utf-8"))


def strip_boilerplate(text: str, known: Boilerplate | None = None) -> str:
    """`text` (plain, squeezed) without the sources' known lead, inline and tail boilerplate."""
    known = known or BOILERPLATE
    for pattern in known.lead:
        if (lead := pattern.match(text)) is not None:
            text = text[lead.end() :]
    for pattern in known.anywhere:
        text = pattern.sub(" ", text)
    head, tail = text[:-_TAIL_WINDOW], text[-_TAIL_WINDOW:]
    stripped = None
    while stripped != tail:
        stripped = tail
        for pattern in known.tail:
            tail = pattern.sub("", tail)
    return " ".join((head + tail).split())


def is_placeholder(text: str, known: Boilerplate | None = None) -> bool:
    """True when `text` is one of the words feeds write instead of an excerpt."""
    return _placeholder_key(text) in (known or BOILERPLATE).placeholders


def _placeholder_key(text: str) -> str:
    return text.casefold().strip().rstrip(".").strip() or text.casefold().strip()


# Loaded once, at import: a broken data file is a packaging error and should stop the bot at
# start, naming the entry, not surface as the first excerpt that reaches it.
BOILERPLATE = _load()
