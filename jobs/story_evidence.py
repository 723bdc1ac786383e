"""Distinctive evidence two articles share: the names, figures and rare words that say which
news an article tells, approximated without a language model, for `jobs.stories`.

An anchor is a short word sequence, spelt as `jobs.stories` compares text (case folded,
punctuation and small words dropped, "38M" spelt "38 million"):

- a rare word: one that English rarely uses (wordfreq's Zipf frequency below 3: "Dataverse",
  "Rekognition", "UpGuard"; "new", "says", "Microsoft", "Pentagon" are common);
- a name: two or more capitalised words in a row, not at the start of a sentence ("PGA Tour",
  "Dataverse for Teams"), read in the excerpt, and in the title unless it is in Title Case
  (where every word is capitalised and capitals say nothing); a long name counts by its pairs
  of adjacent words, so that "Power Apps Express Design" is found in "AI-powered express design";
- an amount: a number of millions, billions or trillions ("38 million", "$10M");
- a model or product name with its number, when rare as a whole ("GPT-3", "A100"; not
  "COVID-19");
- a quoted phrase ("'Power Pages'") and a compound of three or more hyphenated parts
  ("pay-as-you-go").

Apart from the anchors, an article's proper words are the capitalised words (and "iOS") that are
not at the start of a sentence, however common ("Android", "Teams"): weak evidence, which
`jobs.stories` reads only for articles published within the same hour.

Words of the article's own topics ("Power Apps", "AI") are never evidence on their own: every
article of the topic has them. wordfreq's small English list is bundled with it (no download) and
read once; its lookups are cached.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, utils
from wordfreq import zipf_frequency

RARE_ZIPF = 3.0
SPELT_OTHERWISE = 80.0
# Lowercase words allowed inside a name: "Dataverse for Teams", "Bank of America".
_CONNECTORS = frozenset({"for", "of", "de"})
_WORD = re.compile(r"[^\W_][\w'’]*(?:-[^\W_]+)*")
_SENTENCE = re.compile(r"(?<=[.!?:;])\s+|\s+[-–—|]\s+|[—–]|\n")
# Spelt by the caller ("38M", "$38m" and "38 mn" are "38 million"; "3.5 billion" "3 5 billion").
_AMOUNT = re.compile(r"\b\d+(?: \d+)? (?:million|billion|trillion)\b")
_MODEL = re.compile(r"\b[A-Za-z]+-?\d+[A-Za-z]*\b")
_QUOTED = re.compile(r"[‘“\"]([^‘’“”\"]{3,60})[’”\"]")
_POSSESSIVE = re.compile(r"['’]s\b")
_COMPOUND = re.compile(r"\b[^\W_]+(?:-[^\W_]+){2,}\b")


def topic_words(topics: Iterable[str]) -> frozenset[str]:
    return frozenset(word for topic in topics for word in utils.default_process(topic).split())


@dataclass(frozen=True, slots=True)
class Anchors:
    headline: frozenset[str]  # found in the title
    lede: frozenset[str]  # found in the excerpt only
    names: frozenset[str]  # those of either that are names of several words
    proper: frozenset[str]  # proper words, single, of any frequency


@dataclass(frozen=True, slots=True)
class Evidence:
    shared: tuple[str, ...]  # anchors of either article found in the other's text
    in_a_title: tuple[str, ...]  # those of them in either title
    in_both_titles: tuple[str, ...]  # those of them that both titles name
    # those in a title that are a name of several words in either article ("Express Design"):
    # what the news is about, where a figure or a rare word may be quoted by commentary
    named_in_a_title: tuple[str, ...]
    # each headline names a subject of its own, absent from the other article ("TetaVi raises
    # $20 million" and "Parcel Perform raises $20 million"): a shared figure is a coincidence
    apart: bool
    own_subject: bool  # either headline does


def anchors(
    title: str, excerpt: str, ignore: frozenset[str], spell: Callable[[str], str]
) -> Anchors:
    """The anchors of an article's title and excerpt (plain text, entities unescaped); `ignore`
    holds its topic words and small words, `spell` normalises a text as the caller compares it."""
    headline, title_names, title_proper = _anchors(title, not _title_case(title), ignore, spell)
    lede, lede_names, lede_proper = _anchors(excerpt, True, ignore, spell)
    return Anchors(headline, lede - headline, title_names | lede_names, title_proper | lede_proper)


def evidence(
    a: Anchors, a_title: str, a_text: str, b: Anchors, b_title: str, b_text: str
) -> Evidence:
    """What the two articles share; `*_title` and `*_text` are spelt as the anchors are. An
    anchor inside a longer shared one ("dataverse" in "dataverse teams") is not counted again."""
    padded_a, padded_b = f" {a_text} ", f" {b_text} "
    a_all, b_all = a.headline | a.lede, b.headline | b.lede
    found = {x for x in a_all if f" {x} " in padded_b} | {x for x in b_all if f" {x} " in padded_a}
    shared = tuple(
        sorted(x for x in found if not any(x != y and f" {x} " in f" {y} " for y in found))
    )
    titles = f" {a_title} | {b_title} "
    words = {word for x in shared for word in x.split()}
    own_a = _own_subject(a.headline, padded_b, words)
    own_b = _own_subject(b.headline, padded_a, words)
    in_a_title = tuple(x for x in shared if f" {x} " in titles)
    names = a.names | b.names
    return Evidence(
        shared=shared,
        in_a_title=in_a_title,
        in_both_titles=tuple(x for x in shared if x in a.headline and x in b.headline),
        named_in_a_title=tuple(x for x in in_a_title if x in names and " " in x),
        apart=own_a and own_b,
        own_subject=own_a or own_b,
    )


def _own_subject(headline: frozenset[str], other_text: str, shared_words: set[str]) -> bool:
    # partial_ratio: the other article may spell the word otherwise ("misconfigured",
    # "misconfiguration"), which is no subject of its own
    return any(
        not _AMOUNT.fullmatch(x)
        and not shared_words.intersection(x.split())
        and fuzz.partial_ratio(x, other_text) < SPELT_OTHERWISE
        for x in headline
    )


def _anchors(
    text: str, with_names: bool, ignore: frozenset[str], spell: Callable[[str], str]
) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The anchors of one text, those of them that are names, and its proper words."""
    text = _POSSESSIVE.sub("", text)
    spelt = spell(text)
    found = {
        word
        for word in spelt.split()
        if len(word) >= 3 and word.isalpha() and word not in ignore and _rare(word)
    }
    found.update(_AMOUNT.findall(spelt))
    found.update(model for m in _MODEL.finditer(text) if _rare(model := spell(m[0])))
    found.update(spell(m[1]) for m in _QUOTED.finditer(text))
    found.update(spell(m[0]) for m in _COMPOUND.finditer(text))
    names, proper = _names(text, ignore, spell) if with_names else (set(), frozenset())
    found.update(names)
    kept = frozenset(
        anchor
        for anchor in found
        if not all(word in ignore or word.isdigit() or len(word) == 1 for word in anchor.split())
    )
    return kept, kept.intersection(names), proper


def _rare(word: str) -> bool:
    # The small list holds exactly the words at Zipf 3 and above, so below 3 it decides as
    # the large list does (a missing word is 0; a phrase is rarer than its rarest word), and
    # it costs the process 4 MB where the large one cost 34.
    return zipf_frequency(word, "en", wordlist="small") < RARE_ZIPF


def _title_case(title: str) -> bool:
    words = [w for w in _WORD.findall(title) if len(w) > 3 and w[0].isalpha()]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


def _names(
    text: str, ignore: frozenset[str], spell: Callable[[str], str]
) -> tuple[set[str], frozenset[str]]:
    """The names of a text, and its proper words: any capital but a sentence's first letter
    ("Android", "iOS", "NASA")."""
    names: set[str] = set()
    proper: list[str] = []
    for sentence in _SENTENCE.split(text):
        run: list[str] = []
        for index, word in enumerate(_WORD.findall(sentence)):
            if index > 0 and not word.islower():
                proper.append(word)
            if (index > 0 and word[0].isupper()) or (run and word in _CONNECTORS):
                run.append(word)
            else:
                names.update(_name_pairs(run, ignore, spell))
                run = []
        names.update(_name_pairs(run, ignore, spell))
    spelt = spell(" ".join(proper)).split()
    return names, frozenset(x for x in spelt if x not in ignore and len(x) > 1 and not x.isdigit())


def _name_pairs(run: list[str], ignore: frozenset[str], spell: Callable[[str], str]) -> set[str]:
    # A long name ("Power Apps Express Design") is found in other words by its parts: each pair
    # of adjacent words ("express design"), except a topic word beside a common one ("power
    # apps", "microsoft power"), which every article of the topic shares.
    if len(run) < 2:
        return set()
    words = spell(" ".join(run)).split()
    return {
        f"{x} {y}"
        for x, y in itertools.pairwise(words)
        if not ({x, y} & ignore and not (_rare(x) or _rare(y)))
    }
