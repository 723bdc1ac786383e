"""Which story an article belongs to: the one place that decides whether two outlets' articles
tell the same news, so that the channel posts it once. Pure; rapidfuzz does the similarity,
`jobs.story_evidence` finds the names, figures and rare words two articles share.

Rule: an article joins an open story (one first posted within the story window, 48 h by
default) when it is the same story as any article already in it, else it starts a new story.
Two articles are the same story when

- they come from different outlets and
  - their titles, the words of their topics dropped, share most of their words
    (`token_set_ratio` >= 70), and two words at least besides small ones ("Power Fx: Open source
    now available" and "Power Apps mobile apps now available, ..." are 72 alike with their topic
    "Power Apps" in, 63 without; a short "Add your canvas apps to Microsoft Teams" shares only
    "Microsoft" with other headlines once "canvas apps" and "Teams" are topic words), or
  - their titles are alike once reordered (`token_sort_ratio` >= 64, small words dropped) and so
    are title and excerpt together (`token_set_ratio` >= 52), or
  - they share distinctive evidence (`jobs.story_evidence`: names, figures, rare words), at
    least one piece of it in a title, and their whole titles are moderately alike
    (`token_set_ratio`): two pieces or more, or a piece of several words that both titles name
    (both "pay-as-you-go"), at >= 50; when neither headline names a subject the other article
    lacks, a single piece of several words in one title ("38 million" in a title and in the
    other's lede) at >= 60, or a name of several words ("Power Apps Express Design" in a lede,
    "express design" in the other's title) at >= 50 when the headlines also share a word
    ("turns", "turn"). Never when each headline names a subject of its own ("TetaVi raises $20
    million", "Parcel Perform raises $20 million"). Paraphrases share few words but keep the
    names and figures of the news; house words ("now generally available") are no evidence; or
  - they were published within the hour (an embargo lifts for every outlet at once) and share
    two proper words, however common ("iOS", "Android" in both ledes);

  but titles alike by the first two rules are two announcements when, the vendor, a reporting
  verb ("announces") and the topic aside, they share fewer than two words and one headline
  names a subject of its own ("Microsoft announces Levtech as Power Apps partner", "Microsoft
  announces Power Apps Developer Plan");
- they come from the same outlet (one story under two URLs) and their titles are nearly
  identical (`ratio` >= 90, or one inside the other: `partial_ratio` >= 95, for a release
  syndicated again under "RE-TRANSMISSION:") with the same numbers in them: one site's
  headlines share its house words, so a looser match would merge its different articles
  ("part 1", "part 2").

Texts are compared after unescaping HTML entities, case folding and dropping punctuation, with
"38M", "38m" and "38 mn" spelt "38 million"; the excerpt's first 300 characters are enough (the
lede), and keep long excerpts cheap. Of several matching stories the one with the best title
score wins.

Measured on the corpus by `python -m bench.corpus_quality` (labels: bench/story_labels.yaml):
per pair of stored articles published within 48 h of each other, precision 1.000, recall 0.847
(320 found, 0 wrong, 58 missed; before the names, the hour and the two-announcements guard
0.997 / 0.844, 319 found, 1 wrong; before the evidence rule 0.985 / 0.68). A story retold with
nothing in common but its meaning ("Microsoft uses GPT-3 to add AI features to Power Apps"
after "Introducing Power Apps Ideas: AI-powered assistance...") is still posted twice (README,
"Stories")."""

from __future__ import annotations

import functools
import hashlib
import html
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from rapidfuzz import fuzz, utils

from jobs import story_evidence
from storage.records import Article

DEFAULT_WINDOW = timedelta(hours=48)
TITLE_SET = 70.0
TITLE_SORT = 64.0
TEXT_SET = 52.0
SAME_OUTLET_TITLE = 90.0
# Tuned on the corpus labels: at 58 for one piece of evidence, a vendor's follow-up ("updates
# Power Apps after 'Sensitive Data' breach", quoting the leak's 38 million) joins the leak, and
# two market reports that both say "Artificial Intelligence" join.
EVIDENCE_TITLE_SET = 50.0
ONE_EVIDENCE_TITLE_SET = 60.0
# An embargo lifts for every outlet at once: within the hour, two proper words in common
# ("iOS", "Android") tell the news; a day apart, they tell a beat. Tuned on the corpus labels:
# the nearest different stories that share two proper words are five hours apart.
SIMULTANEOUS = timedelta(hours=1)
SIMULTANEOUS_PROPER_WORDS = 2
EXCERPT_CHARS = 300
# Words too common to say anything about a story: dropped before the reordered comparison, so
# "the", "of" and "new" do not make two headlines look alike.
_SMALL_WORDS_TEXT = """a an the of to in on for and or with by from at as is are be its it this
that new how why what your you we our us"""
_SMALL_WORDS = frozenset(_SMALL_WORDS_TEXT.split())
# What a vendor's every headline says ("Microsoft announces ..."): no common ground.
_REPORTING_VERBS = frozenset(
    {"announces", "announced", "announcing", "introduces", "introducing", "launches", "unveils"}
)
# "38M", "38m" and "38 mn" are "38 million" (headlines abbreviate, ledes spell out): a
# token filter, as rapidfuzz's processor knows no units.
_UNIT_WORDS = {"m": "million", "mn": "million", "mln": "million", "bn": "billion", "b": "billion"}
_UNITS = re.compile(r"\b(\d+)\s?(mn|mln|bn|m|b)\b")


@dataclass(frozen=True, slots=True)
class Joins:
    """The article joins the existing story `story_id`."""

    story_id: int


@dataclass(frozen=True, slots=True)
class JoinsNew:
    """The article joins the story started by the `index`-th new article of this run."""

    index: int


@dataclass(frozen=True, slots=True)
class Starts:
    """The article starts a story of its own."""


Assignment = Joins | JoinsNew | Starts


@dataclass(frozen=True, slots=True)
class _Text:
    outlet: str
    title: str
    numbers: tuple[str, ...]
    title_small: str  # small words dropped
    text_small: str  # title and excerpt, small words dropped
    anchors: story_evidence.Anchors
    title_core: str  # topic words dropped
    published: datetime | None


def _unescape(text: str) -> str:
    # Some sources escape their entities twice (&amp;#8217;): unescape until nothing changes.
    for _ in range(3):
        plain = html.unescape(text)
        if plain == text:
            break
        text = plain
    return text


def _normalise(text: str) -> str:
    return _UNITS.sub(_spell_unit, utils.default_process(_unescape(text)))


def _spell_unit(match: re.Match[str]) -> str:
    return f"{match[1]} {_UNIT_WORDS[match[2]]}"


def _without_small_words(text: str) -> str:
    return " ".join(word for word in text.split() if word not in _SMALL_WORDS)


def outlet(article: Article) -> str:
    """The outlet an article comes from: its provider's domain, else its link's host."""
    domain = article.source_domain
    if not domain:
        try:
            domain = urlsplit(article.link.strip()).hostname
        except ValueError:
            domain = None
    return (domain or "").casefold().removeprefix("www.")


# Each run compares its new articles with every article of the open stories, which the runs
# before it read already: remembering them keeps a run's cost to its new articles and the pairs.
@functools.lru_cache(maxsize=4096)
def _text(article: Article) -> _Text:
    raw_title = _unescape(article.title or "")
    raw_excerpt = _unescape((article.excerpt or "")[: EXCERPT_CHARS * 2])[:EXCERPT_CHARS]
    title = _normalise(raw_title)
    excerpt = _normalise(raw_excerpt)
    topic_words = story_evidence.topic_words(article.topics) - _SMALL_WORDS
    return _Text(
        outlet=outlet(article),
        title=title,
        numbers=tuple(re.findall(r"\d+", title)),
        title_small=_without_small_words(title),
        text_small=_without_small_words(f"{title} {excerpt}"),
        anchors=story_evidence.anchors(raw_title, raw_excerpt, _SMALL_WORDS | topic_words, _spell),
        title_core=" ".join(word for word in title.split() if word not in topic_words),
        published=article.published_at,
    )


def _spell(text: str) -> str:
    return _without_small_words(_normalise(text))


def _score(a: _Text, b: _Text) -> float | None:
    """How alike two articles' titles are when they are the same story; None when they are not."""
    if not a.title or not b.title:
        return None
    if a.outlet and a.outlet == b.outlet:
        # partial_ratio: a syndicated copy under a prefix ("RE-TRANSMISSION: ...") is the same
        score = max(fuzz.ratio(a.title, b.title), fuzz.partial_ratio(a.title, b.title) - 5)
        return score if score >= SAME_OUTLET_TITLE and a.numbers == b.numbers else None
    score = fuzz.token_set_ratio(a.title, b.title)
    if _alike_titles(a, b) or (
        fuzz.token_sort_ratio(a.title_small, b.title_small) >= TITLE_SORT
        and fuzz.token_set_ratio(a.text_small, b.text_small) >= TEXT_SET
    ):
        return None if _two_announcements(a, b, _evidence(a, b), score) else score
    if score >= EVIDENCE_TITLE_SET and _share_evidence(a, b, _evidence(a, b), score):
        return score
    return score if _simultaneous(a, b) else None


def _alike_titles(a: _Text, b: _Text) -> bool:
    # token_set_ratio scores a short title by the words it shares alone ("Microsoft to" in
    # "Add your canvas apps to Microsoft Teams", topic words dropped): two shared words at least
    words = set(a.title_core.split()) & set(b.title_core.split())
    return len(words - _SMALL_WORDS) >= 2 and (
        fuzz.token_set_ratio(a.title_core, b.title_core) >= TITLE_SET
    )


def _evidence(a: _Text, b: _Text) -> story_evidence.Evidence:
    return story_evidence.evidence(
        a.anchors, a.title_small, a.text_small, b.anchors, b.title_small, b.text_small
    )


def _share_evidence(a: _Text, b: _Text, found: story_evidence.Evidence, title_score: float) -> bool:
    if not found.in_a_title or found.apart:
        return False
    # A name of several words is specific; a single rare word ("Dataverse") is a vendor's
    # product that many of its stories name, so alone it never decides.
    if len(found.shared) >= 2 or any(" " in x for x in found.in_both_titles):
        return True
    if found.own_subject:
        return False
    if title_score >= ONE_EVIDENCE_TITLE_SET and any(" " in x for x in found.in_a_title):
        return True
    # A name that one article gives the news and the other's headline names ("Power Apps
    # Express Design" in a lede, "express design" in a title) is the subject, when the
    # headlines say more alike ("turns sketches into apps", "turn images into apps"); a
    # figure or a rare word alone may be quoted by commentary (a roundup citing the leak's 38
    # million), and a common term capitalised in a lede ("The Facial Recognition Market
    # report") names no news.
    name_words = {word for x in found.named_in_a_title for word in x.split()}
    return bool(name_words) and _alike_words(a, b, name_words) >= 1


def _two_announcements(
    a: _Text, b: _Text, found: story_evidence.Evidence, title_score: float
) -> bool:
    # "Microsoft announces Levtech as Power Apps partner", "Microsoft announces Power Apps
    # Developer Plan": alike, as the vendor, a reporting verb and the topic are most of both;
    # one names a subject of its own, and besides the vendor they share nothing.
    if not found.own_subject or _share_evidence(a, b, found, title_score):
        return False
    return _alike_words(a, b, _REPORTING_VERBS) < 2


def _alike_words(a: _Text, b: _Text, ignore: Collection[str]) -> int:
    """How many words of a's headline b's headline has too, spelt alike ("exposes",
    "exposed"), small words, topic words, numbers (a year) and `ignore` aside."""
    words = {x for x in a.title_core.split() if x.isalpha()} - _SMALL_WORDS
    other = {x for x in b.title_core.split() if x.isalpha()} - _SMALL_WORDS
    return sum(
        1
        for x in words.difference(ignore)
        if any(fuzz.ratio(x, y) >= story_evidence.SPELT_OTHERWISE for y in other.difference(ignore))
    )


def _simultaneous(a: _Text, b: _Text) -> bool:
    if a.published is None or b.published is None:
        return False
    return (
        abs(a.published - b.published) <= SIMULTANEOUS
        and len(a.anchors.proper & b.anchors.proper) >= SIMULTANEOUS_PROPER_WORDS
    )


def same_story(a: Article, b: Article) -> bool:
    return _score(_text(a), _text(b)) is not None


def assign_stories(
    new: Sequence[Article], open_stories: Mapping[int, Sequence[Article]]
) -> list[Assignment]:
    """For each new article, in order, the story it belongs to: an open story (`open_stories`:
    each one's articles by its id), or one started by an earlier new article of the same run, or
    its own."""
    known = [
        (("old", story_id), _text(article))
        for story_id, articles in open_stories.items()
        for article in articles
    ]
    assignments: list[Assignment] = []
    for index, article in enumerate(new):
        text = _text(article)
        best: tuple[float, tuple[str, int]] | None = None
        for key, other in known:
            score = _score(text, other)
            if score is not None and (best is None or score > best[0]):
                best = (score, key)
        if best is None:
            assignments.append(Starts())
            known.append((("new", index), text))
            continue
        kind, ident = best[1]
        if kind == "old":
            assignments.append(Joins(ident))
        else:
            assignments.append(JoinsNew(ident))
        known.append((best[1], text))
    return assignments


def content_version(lead: Article, others: Sequence[Article]) -> str:
    """What a story's channel post shows, as a short digest: it changes when the lead's title,
    excerpt or link changes or an outlet joins, never with heat alone (heat-only changes never
    edit the post)."""
    digest = hashlib.sha256()
    for part in (lead.title, lead.excerpt, lead.link):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\x00")
    for other in others:
        for part in (other.link, other.source_name or "", other.source_domain or ""):
            digest.update(part.encode("utf-8", "surrogatepass") + b"\x00")
    return digest.hexdigest()[:32]
