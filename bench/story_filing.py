"""Stories on the corpus (issue 12 item 2): the dry run's articles filed into stories the way
scheduled runs would file them over time, measured against the hand-labelled same-story groups
in `story_labels.yaml`.

Filing goes in publication order (an undated article at the time it was first stored), each
article through `jobs.stories.assign_stories` with the members of the stories opened within the
window before it: what runs every few minutes would have done as the news came in. One dry run
over years of corpus would otherwise compare articles years apart.

- a **repeat** is a post (a story's lead) of a labelled group whose earlier post is still open:
  the reader sees the same news twice; a post of the group after every earlier one has closed
  (the window passed) is counted apart, as the window's choice rather than a miss;
- a **wrong merge** is an article filed into a story whose lead is not in its group (an
  unlabelled article is a group of its own), unless the pair is labelled unsure;
- per pair, over every stored dated article: each pair published within the window, same story
  by the labels or not, against `jobs.stories.same_story`.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from jobs.ingest.files import read_article_file
from jobs.ingest.urls import normalise_url
from jobs.stories import DEFAULT_WINDOW, Joins, assign_stories, same_story
from storage.records import Article

LABELS = Path(__file__).resolve().parent / "story_labels.yaml"


@dataclass(frozen=True, slots=True)
class Labels:
    group: dict[str, str]  # article identity (normalised URL) -> its group's name
    unsure: frozenset[frozenset[str]]  # pairs of identities

    def same(self, a: Article, b: Article) -> bool:
        group = self.group.get(a.url)
        return group is not None and group == self.group.get(b.url)

    def is_unsure(self, a: Article, b: Article) -> bool:
        return frozenset((a.url, b.url)) in self.unsure


@dataclass(slots=True)
class Story:
    opened_at: datetime
    articles: list[Article] = field(default_factory=list)

    @property
    def lead(self) -> Article:
        return self.articles[0]


@dataclass(frozen=True, slots=True)
class StoryReport:
    stories: list[Story]
    labels: Labels
    repeats: list[Article]  # posts of a labelled story whose earlier post is still open
    after_window: list[Article]  # posts of a labelled story whose earlier posts all closed
    right: int  # articles merged into their own labelled story
    wrong: list[tuple[Article, Article]]  # (lead, article merged into its story)
    labelled_groups: int  # labelled groups with an article among the filed ones
    labelled_posts: int  # posts led by an article of a labelled group


@dataclass(frozen=True, slots=True)
class PairScore:
    true_pos: int
    false_pos: list[tuple[Article, Article]]
    false_neg: list[tuple[Article, Article]]


def load_labels(corpus: Path, path: Path = LABELS) -> Labels:
    """The label file's groups by article identity: each listed file is read for its URL, so
    the labels follow the corpus files, not how the URLs are spelt; a JSON API item is listed
    by its webUrl."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))

    def url(entry: str) -> str:
        if entry.startswith(("http://", "https://")):
            return normalise_url(entry) or entry
        return read_article_file(corpus / entry).url

    group = {url(file): name for name, files in data["groups"].items() for file in files}
    unsure = frozenset(frozenset(map(url, pair)) for pair in data.get("unsure", []))
    return Labels(group, unsure)


def _when(article: Article) -> datetime:
    return article.published_at or article.first_seen_at


def file_stories(articles: Sequence[Article], window: timedelta = DEFAULT_WINDOW) -> list[Story]:
    """The stories, in posting order, that runs over time would file `articles` into."""
    stories: list[Story] = []
    first_open = 0  # stories before it were opened more than a window before the article
    for article in sorted(articles, key=lambda a: (_when(a), a.id)):
        at = _when(article)
        while first_open < len(stories) and at - stories[first_open].opened_at > window:
            first_open += 1
        open_stories = {index: stories[index].articles for index in range(first_open, len(stories))}
        (how,) = assign_stories([article], open_stories)
        if isinstance(how, Joins):
            stories[how.story_id].articles.append(article)
        else:
            stories.append(Story(at, [article]))
    return stories


def timed_filing(
    articles: Sequence[Article], window: timedelta = DEFAULT_WINDOW
) -> tuple[list[Story], float]:
    """`file_stories` and the seconds it took: what the scheduled runs pay for stories, one
    article at a time against the window's open stories."""
    started = time.perf_counter()
    return file_stories(articles, window), time.perf_counter() - started


def story_report(stories: list[Story], labels: Labels, window: timedelta) -> StoryReport:
    posted: dict[str, list[Story]] = {}  # group -> stories holding one of its articles
    repeats: list[Article] = []
    after: list[Article] = []
    right = 0
    wrong: list[tuple[Article, Article]] = []
    for story in stories:
        group = labels.group.get(story.lead.url)
        if group is not None:
            earlier = posted.get(group, [])
            if any(story.opened_at - s.opened_at <= window for s in earlier):
                repeats.append(story.lead)
            elif earlier:
                after.append(story.lead)
        for article in story.articles:
            if (name := labels.group.get(article.url)) is not None:
                holding = posted.setdefault(name, [])
                if story not in holding:
                    holding.append(story)
        for article in story.articles[1:]:
            if labels.same(story.lead, article):
                right += 1
            elif not labels.is_unsure(story.lead, article):
                wrong.append((story.lead, article))
    return StoryReport(
        stories=stories,
        labels=labels,
        repeats=repeats,
        after_window=after,
        right=right,
        wrong=wrong,
        labelled_groups=len(posted),
        labelled_posts=sum(1 for s in stories if s.lead.url in labels.group),
    )


def pair_score(
    articles: Sequence[Article], labels: Labels, window: timedelta = DEFAULT_WINDOW
) -> PairScore:
    """`same_story` on every pair of dated articles published within `window` of each other."""
    dated = sorted((a for a in articles if a.published_at), key=_when)
    true_pos = 0
    false_pos: list[tuple[Article, Article]] = []
    false_neg: list[tuple[Article, Article]] = []
    for a, b in itertools.combinations(dated, 2):
        if _when(b) - _when(a) > window or labels.is_unsure(a, b):
            continue
        said, truth = same_story(a, b), labels.same(a, b)
        if said and truth:
            true_pos += 1
        elif said:
            false_pos.append((a, b))
        elif truth:
            false_neg.append((a, b))
    return PairScore(true_pos, false_pos, false_neg)
