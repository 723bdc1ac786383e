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
4. otherwise NoMatch, with up to 3 names by similarity (normalised Indel, as difflib's ratio)
   to the key, the display name or a word of 3+ letters.

Each rule is a lookup in a jobs.topic_index prepared once per topic list, and a command names at
most MAX_QUERIES topics, so a message costs a bounded amount however many topics there are.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

from jobs.topic_index import (
    Topic,
    TopicIndex,
    match_key,
    plain_text,
    similarity,
    topic_index,
    words_of,
)
from storage.records import topic_key

# Names per /topic or /untopic: more than anyone types, few enough that one message's matching
# stays a few milliseconds (a 4096-character message could otherwise hold 1000 names).
MAX_QUERIES = 20
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


class TooManyQueriesError(ValueError):
    """More than MAX_QUERIES names in one command: the caller says so instead of matching."""


def split_queries(text: str) -> list[str]:
    """The queries in a command's argument text, in order, inner whitespace collapsed.

    Pass the message text after the command rather than " ".join(context.args): joining the
    args turns line breaks into spaces and so glues one-per-line queries together."""
    parts = (" ".join(part.split()) for part in _QUERY_SEPARATOR.split(text))
    return [part for part in parts if part]


def resolve_topic(query: str, topics: Sequence[str]) -> Resolution:
    return _resolve(query, _index(topics))


def resolve_topics(text: str, topics: Sequence[str]) -> list[Resolution]:
    """Each query of `text` resolved, in order; TooManyQueriesError past MAX_QUERIES."""
    queries = split_queries(text)
    if len(queries) > MAX_QUERIES:
        raise TooManyQueriesError(f"{len(queries)} names, at most {MAX_QUERIES} at a time")
    index = _index(topics)
    return [_resolve(query, index) for query in queries]


def _index(topics: Sequence[str]) -> TopicIndex:
    return topic_index(topics, min_word=MIN_SUGGESTION_WORD)


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


def _resolve(query: str, index: TopicIndex) -> Resolution:
    key = match_key(query)
    if not key:
        return NoMatch(query, ())
    if (exact := index.by_key.get(key)) is not None:
        return Match(query, exact.name)
    # "ai h" is the start of "AI Hardware", not the initials of "AI in Healthcare".
    if not any(ch.isspace() for ch in query.strip()):
        acronyms = index.by_initials.get(key)
        if acronyms:
            return _decide(query, acronyms)
    if len(key) >= MIN_PREFIX:
        starts = index.prefix_starts(key, words_of(query))
        at_start = [t for t, start in starts.items() if start == 0]
        if at_start:
            return _decide(query, at_start)
        if starts:
            return _decide(query, list(starts))
    return NoMatch(query, _suggestions(query, key, index))


def _decide(query: str, topics: Sequence[Topic]) -> Match | Ambiguous:
    if len(topics) == 1:
        return Match(query, topics[0].name)
    return Ambiguous(query, tuple(sorted((t.name for t in topics), key=_display_order)))


def _suggestions(query: str, key: str, index: TopicIndex) -> tuple[str, ...]:
    scores = index.similar(key, plain_text(query), SIMILARITY_CUTOFF)
    # Equal scores (a misspelt word shared by several names) go to the closest key.
    ranked = sorted(
        (-score, -similarity(key, topic.key), _display_order(topic.name), topic.name)
        for topic, score in scores.items()
    )
    return tuple(name for *_, name in ranked[:MAX_SUGGESTIONS])


def _display_order(name: str) -> tuple[str, str]:
    return (name.casefold(), name)
