"""What gets posted: the one place that decides whether an article is eligible and in what order.

Pure functions with an injectable clock; the database prefilters with the same rules
(storage.articles.ArticleRepository.selection_candidates, .rising_candidates) so a large archive
is never loaded.

Rising stories: with `rising` set, an article at or above `rising.min_heat` whose heat rose by at
least `rising.gain` within the last `rising.within` (its heat history: a sample each time an
ingest saw the heat change) is eligible even below `min_heat`, and its post carries 📈. Not
news: an article carrying one of the `exclude` phrases (jobs.not_news) is never eligible.

Per source: with `max_per_source` set, a run posts at most that many articles of one outlet
(source_key); the rest wait for a later run, still eligible, so one prolific site (a blog and
its video channel publishing a release wave at once) cannot fill the channel."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from jobs.not_news import NO_PHRASES, NotNews
from jobs.stories import outlet
from storage.candidates import RisingRules as RisingPrefilter
from storage.candidates import SelectionRules
from storage.records import Article, HeatSample

# Sources stamp articles with their own clocks; a few minutes ahead of ours is skew, hours
# ahead is a wrong date that must not pin an article to the top of the channel.
CLOCK_SKEW = timedelta(minutes=10)


# Rising candidates looked at per run, below the publishing threshold.
RISING_CANDIDATES = 50


@dataclass(frozen=True, slots=True)
class RisingRules:
    min_heat: float
    gain: float
    within: timedelta

    def prefilter(self) -> RisingPrefilter:
        return RisingPrefilter(
            _heat_floor(self.min_heat), _heat_floor(self.gain), RISING_CANDIDATES
        )


@dataclass(frozen=True, slots=True)
class PublishRules:
    min_heat: float
    max_age: timedelta | None  # None: no "newly published" window
    max_per_run: int
    rising: RisingRules | None = None  # None: rising stories off
    exclude: NotNews = NO_PHRASES
    max_per_source: int | None = None  # None: no cap per outlet

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


def heat_gain(history: Sequence[HeatSample], heat: int, now: datetime, within: timedelta) -> int:
    """How far the heat rose within the last `within`: the heat now, less the lowest it was in
    that window (the sample before the window counts: that was the heat when it began)."""
    since = now - within
    before = [s.heat for s in history if s.at <= since][-1:]
    during = [s.heat for s in history if since < s.at <= now]
    considered = before + during
    return heat - min(considered) if considered else 0


def is_rising(
    article: Article, history: Sequence[HeatSample], now: datetime, rules: PublishRules
) -> bool:
    rising = rules.rising
    if rising is None or article.heat is None or article.heat < rising.min_heat:
        return False
    return heat_gain(history, article.heat, now, rising.within) >= rising.gain


def ineligibility(
    article: Article, now: datetime, rules: PublishRules, *, rising: bool = False
) -> str | None:
    """Why the article may not be posted on its own merits, or None when it may. `rising`: it
    is a rising story (is_rising), eligible below min_heat."""
    if article.published is False:
        return "not published"
    if article.heat is None:
        return "no heat"
    if article.heat < rules.min_heat and not rising:
        return f"heat {article.heat} < {rules.min_heat:g}"
    if article.published_at is None:
        return "no publication date"
    if article.published_at > now + CLOCK_SKEW:
        return "dated in the future"
    if rules.max_age is not None and article.published_at < now - rules.max_age:
        return "too old"
    if (phrase := rules.exclude.phrase_in(article)) is not None:
        return f"not news ({phrase!r})"
    return None


def select_new(
    candidates: Iterable[Article],
    now: datetime,
    rules: PublishRules,
    already_posted: frozenset[int] = frozenset(),
    histories: Mapping[int, Sequence[HeatSample]] | None = None,
) -> list[Article]:
    """The articles to post this run: eligible, not posted yet, hottest first (newest first among
    equals), at most `max_per_run`, and at most `max_per_source` of one outlet. With `histories`
    (article id -> heat samples, oldest first) rising stories are eligible too, and come back
    marked `rising`."""
    eligible = [
        article
        for article, reason in _judged(candidates, now, rules, histories or {})
        if reason is None and article.id not in already_posted
    ]
    eligible.sort(key=lambda a: (-(a.heat or 0), -_timestamp(a), a.id))
    if rules.max_per_source is not None:
        eligible = _capped_per_source(eligible, rules.max_per_source)
    return eligible[: rules.max_per_run]


def source_key(article: Article) -> str:
    """Which outlet an article counts for: the name it is published under (so a blog and its
    video channel, both "Microsoft", are one), else its site as stories tell outlets apart."""
    return " ".join((article.source_name or "").split()).casefold() or outlet(article)


def _capped_per_source(ordered: list[Article], cap: int) -> list[Article]:
    taken: dict[str, int] = {}
    kept = []
    for article in ordered:
        key = source_key(article)
        if taken.get(key, 0) < cap:
            taken[key] = taken.get(key, 0) + 1
            kept.append(article)
    return kept


def not_news(
    candidates: Iterable[Article],
    now: datetime,
    rules: PublishRules,
    histories: Mapping[int, Sequence[HeatSample]] | None = None,
) -> list[Article]:
    """The candidates that would be eligible but for an `exclude` phrase (for /stats)."""
    plain = replace(rules, exclude=NO_PHRASES)
    return [
        article
        for article, reason in _judged(candidates, now, plain, histories or {})
        if reason is None and rules.exclude.phrase_in(article) is not None
    ]


def _judged(
    candidates: Iterable[Article],
    now: datetime,
    rules: PublishRules,
    histories: Mapping[int, Sequence[HeatSample]],
) -> Iterator[tuple[Article, str | None]]:
    for article in candidates:
        rising = is_rising(article, histories.get(article.id, ()), now, rules)
        reason = ineligibility(article, now, rules, rising=rising)
        yield (replace(article, rising=True) if rising else article), reason


def _timestamp(article: Article) -> float:
    return article.published_at.timestamp() if article.published_at else 0.0
