"""What gets posted: the one place that decides whether an article is eligible and in what order.

Pure functions with an injectable clock; the database prefilters with the same rules
(storage.articles.ArticleRepository.selection_candidates) so a large archive is never loaded."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.candidates import SelectionRules
from storage.records import Article

# Sources stamp articles with their own clocks; a few minutes ahead of ours is skew, hours
# ahead is a wrong date that must not pin an article to the top of the channel.
CLOCK_SKEW = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class PublishRules:
    min_heat: float
    max_age: timedelta | None  # None: no "newly published" window
    max_per_run: int

    def prefilter(self, now: datetime) -> SelectionRules:
        """The same rules, in the shape the database query takes."""
        return SelectionRules(
            min_heat=_heat_floor(self.min_heat),
            published_after=None if self.max_age is None else now - self.max_age,
            published_before=now + CLOCK_SKEW,
            limit=self.max_per_run,
        )


def _heat_floor(min_heat: float) -> int:
    # Heat is an integer in every source: heat >= 99.5 is heat >= 100.
    whole = int(min_heat)
    return whole if whole == min_heat else whole + 1


def ineligibility(article: Article, now: datetime, rules: PublishRules) -> str | None:
    """Why the article may not be posted on its own merits, or None when it may."""
    if article.published is False:
        return "not published"
    if article.heat is None:
        return "no heat"
    if article.heat < rules.min_heat:
        return f"heat {article.heat} < {rules.min_heat:g}"
    if article.published_at is None:
        return "no publication date"
    if article.published_at > now + CLOCK_SKEW:
        return "dated in the future"
    if rules.max_age is not None and article.published_at < now - rules.max_age:
        return "too old"
    return None


def select_new(
    candidates: Iterable[Article],
    now: datetime,
    rules: PublishRules,
    already_posted: frozenset[int] = frozenset(),
) -> list[Article]:
    """The articles to post this run: eligible, not posted yet, hottest first (newest first among
    equals), at most `max_per_run`."""
    eligible = [
        a for a in candidates if a.id not in already_posted and ineligibility(a, now, rules) is None
    ]
    eligible.sort(key=lambda a: (-(a.heat or 0), -_timestamp(a), a.id))
    return eligible[: rules.max_per_run]


def _timestamp(article: Article) -> float:
    return article.published_at.timestamp() if article.published_at else 0.0
