"""Which topic a user means: turns what follows /topic or /untopic into known topic names, and
topic names into deep-link slugs and back. Pure; the caller passes the known names.

Identity is `storage.records.topic_key` (casefold, letters and digits only), taken after NFKC
so that full-width "ＡＩ" typed with an East Asian keyboard is "AI". A name's *words*
are split at every character with no letter or digit and where a lowercase letter meets an
uppercase one ("TensorFlow" is Tensor + Flow). A query is resolved by the first rule that finds
anything:

1. exact: the query's key is a topic's key ("#ComputerVision", "computer-vision").
2. acronym: a query typed without spaces equals the initials of a topic of two or more words
   ("nlp", "ml", "tf"); several topics with those initials are Ambiguous.
3. prefix (query key of 2+ characters): the query begins the topic's key, or each query word
   begins the topic's words in turn ("tensor", "mach learn"). Matches at the start of a name
   beat matches starting at a later word ("vision", "robotics"); one topic is a Match, several
   are Ambiguous.
4. otherwise NoMatch, with up to 3 names by difflib similarity to the key, the display name or
   a word of 3+ letters.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import TypeAlias

from storage.records import topic_key

MIN_PREFIX = 2  # one character would prefix-match half the topics
MAX_SUGGESTIONS = 3
SIMILARITY_CUTOFF = 0.6  # difflib's own default for get_close_matches
# Two-letter words ("AI", "in") end or fill too many names to point at one of them.
MIN_SUGGESTION_WORD = 3

# Telegram's rule for the /start deep-link parameter.
START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SLUG_MAX = 64
_SLUG_HASH = 8  # hex digits: enough that two topics of one bot never collide

# Commas, semicolons and line breaks separate queries; a space alone does not, because names
# have spaces in them. A "#" after a space does, so "#ai #nlp" is two hashtags.
_QUERY_SEPARATOR = re.compile(r"[,;\n\r，、；]+|\s+(?=#)")


@dataclass(frozen=True, slots=True)
class Match:
    """The query resolved to exactly one topic."""

    query: str
    topic: str


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """Several topics fit equally well; candidates sorted by display name."""

    query: str
    candidates: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NoMatch:
    """Nothing fits; suggestions are the closest names, best first, maybe none."""

    query: str
    suggestions: tuple[str, ...]


Resolution: TypeAlias = Match | Ambiguous | NoMatch


@dataclass(frozen=True, slots=True)
class _Topic:
    name: str
    key: str
    words: tuple[str, ...]  # each word's key; together they make `key`

    @property
    def initials(self) -> str:
        return "".join(word[0] for word in self.words)


def split_queries(text: str) -> list[str]:
    """The queries in a command's argument text, in order, inner whitespace collapsed.

    Pass the message text after the command rather than " ".join(context.args): joining the
    args turns line breaks into spaces and so glues one-per-line queries together."""
    parts = (" ".join(part.split()) for part in _QUERY_SEPARATOR.split(text))
    return [part for part in parts if part]


def resolve_topic(query: str, topics: Sequence[str]) -> Resolution:
    return _resolve(query, _index(topics))


def resolve_topics(text: str, topics: Sequence[str]) -> list[Resolution]:
    index = _index(topics)
    return [_resolve(query, index) for query in split_queries(text)]


def topic_slug(name: str) -> str:
    """A deep-link parameter for the topic: lowercase ASCII words joined by "-".

    When that loses something the key has (accents, other scripts) or runs past Telegram's 64
    characters, a hash of the key is appended, so distinct topics never share a slug."""
    key = topic_key(name)
    if not key:
        raise ValueError(f"topic name {name!r} has no letters or digits")
    ascii_text = unicodedata.normalize("NFKD", name.casefold()).encode("ascii", "ignore").decode()
    slug = "-".join(re.findall(r"[a-z0-9]+", ascii_text))
    if slug.replace("-", "") == key and len(slug) <= _SLUG_MAX:
        return slug
    digest = hashlib.sha256(key.encode()).hexdigest()[:_SLUG_HASH]
    head = slug[: _SLUG_MAX - _SLUG_HASH - 1].rstrip("-")
    return f"{head}-{digest}" if head else digest


def topic_from_slug(slug: str, topics: Sequence[str]) -> str | None:
    """The topic a deep-link parameter names, or None. Case is ignored, and a parameter that
    spells the key another way ("computervision", "Computer_Vision") is accepted too, since a
    hand-typed link is as good as a generated one."""
    if not START_PARAMETER.fullmatch(slug):
        return None
    # Not _index: slugs follow the stored identity, so "AI" and "ＡＩ" keep a link each.
    named = [name for name in topics if topic_key(name)]
    wanted = slug.lower()
    for name in named:
        if topic_slug(name) == wanted:
            return name
    key = topic_key(slug)
    return next((name for name in named if topic_key(name) == key), None)


def _index(topics: Sequence[str]) -> tuple[_Topic, ...]:
    # Stored articles spell one topic several ways; the first spelling given is the one shown.
    seen: set[str] = set()
    index: list[_Topic] = []
    for name in topics:
        key = _match_key(name)
        if key and key not in seen:
            seen.add(key)
            index.append(_Topic(name=name, key=key, words=_words(name)))
    return tuple(index)


def _match_key(text: str) -> str:
    return topic_key(unicodedata.normalize("NFKC", text))


def _words(text: str) -> tuple[str, ...]:
    words: list[str] = []
    current: list[str] = []
    previous = ""
    for ch in unicodedata.normalize("NFKC", text):
        # Whatever topic_key drops is a boundary, so the words always add up to the key.
        folded = topic_key(ch)
        if not folded or (previous.islower() and ch.isupper()):
            if current:
                words.append("".join(current))
            current = []
        if folded:
            current.append(folded)
        previous = ch
    if current:
        words.append("".join(current))
    return tuple(words)


def _resolve(query: str, index: tuple[_Topic, ...]) -> Resolution:
    key = _match_key(query)
    if not key:
        return NoMatch(query, ())
    for topic in index:
        if topic.key == key:
            return Match(query, topic.name)
    # "ai h" is the start of "AI Hardware", not the initials of "AI in Healthcare".
    if not any(ch.isspace() for ch in query.strip()):
        acronyms = [t for t in index if len(t.words) >= 2 and t.initials == key]
        if acronyms:
            return _decide(query, acronyms)
    if len(key) >= MIN_PREFIX:
        query_words = _words(query)
        starts = [(t, _prefix_start(t, key, query_words)) for t in index]
        at_start = [t for t, start in starts if start == 0]
        if at_start:
            return _decide(query, at_start)
        later = [t for t, start in starts if start is not None]
        if later:
            return _decide(query, later)
    return NoMatch(query, _suggestions(query, key, index))


def _prefix_start(topic: _Topic, key: str, query_words: tuple[str, ...]) -> int | None:
    """The first word of the topic at which the query begins, or None."""
    for start in range(len(topic.words)):
        tail = topic.words[start:]
        if "".join(tail).startswith(key):
            return start
        if 1 < len(query_words) <= len(tail) and all(
            word.startswith(part) for part, word in zip(query_words, tail, strict=False)
        ):
            return start
    return None


def _decide(query: str, topics: list[_Topic]) -> Match | Ambiguous:
    if len(topics) == 1:
        return Match(query, topics[0].name)
    return Ambiguous(query, tuple(sorted((t.name for t in topics), key=_display_order)))


def _suggestions(query: str, key: str, index: tuple[_Topic, ...]) -> tuple[str, ...]:
    text = _plain_text(query)
    scored: list[tuple[float, float, tuple[str, str], str]] = []
    for topic in index:
        key_score = _similarity(key, topic.key)
        score = max(
            key_score,
            _similarity(text, _plain_text(topic.name)),
            *(_similarity(key, w) for w in topic.words if len(w) >= MIN_SUGGESTION_WORD),
        )
        if score >= SIMILARITY_CUTOFF:
            # Equal scores (a misspelt word shared by several names) go to the closest key.
            scored.append((-score, -key_score, _display_order(topic.name), topic.name))
    scored.sort()
    return tuple(name for *_, name in scored[:MAX_SUGGESTIONS])


def _plain_text(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b).ratio()


def _display_order(name: str) -> tuple[str, str]:
    return (name.casefold(), name)
