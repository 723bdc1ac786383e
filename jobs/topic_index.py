"""The known topics, prepared once so that resolving a query costs lookups rather than a pass
over every topic: dictionaries for exact keys and initials, sorted lists searched by bisection
for prefixes, and rapidfuzz's C scorer over one flat choice list for similarity.

Pure; jobs.topic_matching decides what the lookups mean. A name's *words* are split at every
character with no letter or digit and where a lowercase letter meets an uppercase one
("TensorFlow" is Tensor + Flow); each word is a key, and together they make the name's key.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process

from storage.records import topic_key


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    key: str
    words: tuple[str, ...]  # each word's key; together they make `key`
    order: int  # position in the index: ties resolve the same way for any input order

    @property
    def initials(self) -> str:
        return "".join(word[0] for word in self.words)


@dataclass(frozen=True, slots=True)
class _Sorted:
    """Strings in order with who owns each, for "every entry beginning with p" by bisection."""

    keys: list[str] = field(default_factory=list)
    owners: list[tuple[Topic, int]] = field(default_factory=list)  # (topic, word position)

    def starting_with(self, prefix: str) -> Iterator[tuple[Topic, int]]:
        at = bisect_left(self.keys, prefix)
        while at < len(self.keys) and self.keys[at].startswith(prefix):
            yield self.owners[at]
            at += 1


@dataclass(frozen=True, slots=True)
class _Choices:
    """Distinct strings for rapidfuzz, each with the topics it stands for."""

    texts: list[str]
    owners: list[tuple[Topic, ...]]


@dataclass(frozen=True, slots=True)
class TopicIndex:
    topics: tuple[Topic, ...]
    by_key: dict[str, Topic]
    by_initials: dict[str, tuple[Topic, ...]]  # topics of two or more words
    tails: _Sorted  # the key from each word on: "aiinrobotics", "inrobotics", "robotics"
    words: _Sorted  # every word of every topic
    key_choices: _Choices  # keys, and words of at least `min_word` characters
    text_choices: _Choices  # display names as plain text (casefolded, spaces collapsed)

    def prefix_starts(self, key: str, query_words: tuple[str, ...]) -> dict[Topic, int]:
        """Each topic the query begins, with the first word it begins at: where the key begins
        the topic's key from that word on, or each query word begins the topic's words in turn
        (for a query of two or more words)."""
        starts: dict[Topic, int] = {}
        for topic, start in self.tails.starting_with(key):
            starts[topic] = min(start, starts.get(topic, start))
        if len(query_words) > 1:
            for topic, start in self.words.starting_with(query_words[0]):
                tail = topic.words[start:]
                if len(query_words) <= len(tail) and all(
                    word.startswith(part) for part, word in zip(query_words, tail, strict=False)
                ):
                    starts[topic] = min(start, starts.get(topic, start))
        return starts

    def similar(self, key: str, text: str, cutoff: float) -> dict[Topic, float]:
        """Topics whose key, plain name or a long word is at least `cutoff` (0-1) like the
        query's key or text, each with its best score."""
        scores: dict[Topic, float] = {}
        for query, choices in ((key, self.key_choices), (text, self.text_choices)):
            found = process.extract(
                query, choices.texts, scorer=fuzz.ratio, score_cutoff=cutoff * 100, limit=None
            )
            for _, score, at in found:
                for topic in choices.owners[at]:
                    scores[topic] = max(score / 100, scores.get(topic, 0.0))
        return scores


def similarity(a: str, b: str) -> float:
    """0-1: the normalised Indel similarity difflib's ratio() approximates, computed in C."""
    return fuzz.ratio(a, b) / 100


def match_key(text: str) -> str:
    return topic_key(unicodedata.normalize("NFKC", text))


def plain_text(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def words_of(text: str) -> tuple[str, ...]:
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


def topic_index(topics: Sequence[str], *, min_word: int) -> TopicIndex:
    return _build(tuple(topics), min_word)


# The handlers resolve against the same few topic lists over and over (all topics, or one
# chat's); rebuilding the index costs a few milliseconds per message at 300 topics.
@lru_cache(maxsize=32)
def _build(names: tuple[str, ...], min_word: int) -> TopicIndex:
    topics = _distinct(names)
    initials: dict[str, list[Topic]] = {}
    tails: list[tuple[str, int, Topic]] = []
    words: list[tuple[str, int, Topic]] = []
    key_owners: dict[str, list[Topic]] = {}
    text_owners: dict[str, list[Topic]] = {}
    for topic in topics:
        if len(topic.words) >= 2:
            initials.setdefault(topic.initials, []).append(topic)
        for start, word in enumerate(topic.words):
            tails.append(("".join(topic.words[start:]), start, topic))
            words.append((word, start, topic))
        for choice in {topic.key, *(w for w in topic.words if len(w) >= min_word)}:
            key_owners.setdefault(choice, []).append(topic)
        text_owners.setdefault(plain_text(topic.name), []).append(topic)
    return TopicIndex(
        topics=topics,
        by_key={t.key: t for t in topics},
        by_initials={k: tuple(v) for k, v in initials.items()},
        tails=_sorted(tails),
        words=_sorted(words),
        key_choices=_choices(key_owners),
        text_choices=_choices(text_owners),
    )


def _distinct(names: tuple[str, ...]) -> tuple[Topic, ...]:
    # Stored articles spell one topic several ways; the first spelling given is the one shown.
    seen: set[str] = set()
    topics: list[Topic] = []
    for name in names:
        key = match_key(name)
        if key and key not in seen:
            seen.add(key)
            topics.append(Topic(name=name, key=key, words=words_of(name), order=len(topics)))
    return tuple(topics)


def _sorted(entries: list[tuple[str, int, Topic]]) -> _Sorted:
    entries.sort(key=lambda entry: (entry[0], entry[2].order, entry[1]))
    return _Sorted(
        keys=[key for key, _, _ in entries], owners=[(topic, at) for _, at, topic in entries]
    )


def _choices(owners: dict[str, list[Topic]]) -> _Choices:
    texts = sorted(owners)
    return _Choices(texts=texts, owners=[tuple(owners[text]) for text in texts])
