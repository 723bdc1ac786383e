"""What gets posted: the selection rules as a table."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from jobs.not_news import NotNews
from jobs.selection import (
    CLOCK_SKEW,
    PublishRules,
    RisingRules,
    ineligibility,
    is_rising,
    not_news,
    select_new,
)
from storage.records import Article, HeatSample
from tests.article_factory import stored_article

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
RULES = PublishRules(min_heat=100, max_age=timedelta(hours=24), max_per_run=5)


def article(id_: int = 1, **changes: object) -> Article:
    base = stored_article(
        NOW,
        id=id_,
        url=f"https://example.com/{id_}",
        link=f"https://example.com/{id_}",
        title=f"Article {id_}",
        published_at=NOW - timedelta(hours=1),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({}, None),
        ({"published": None}, None),  # minimal-era files and the JSON API have no flag
        ({"published": False}, "not published"),
        ({"heat": None}, "no heat"),
        ({"heat": -1}, "heat -1 < 100"),
        ({"heat": 99}, "heat 99 < 100"),
        ({"heat": 100}, None),
        ({"heat": 284}, None),
        ({"published_at": None}, "no publication date"),
        ({"published_at": NOW - timedelta(hours=24)}, None),
        ({"published_at": NOW - timedelta(hours=24, seconds=1)}, "too old"),
        ({"published_at": NOW + CLOCK_SKEW}, None),
        ({"published_at": NOW + CLOCK_SKEW + timedelta(seconds=1)}, "dated in the future"),
        ({"published_at": NOW + timedelta(days=3)}, "dated in the future"),
    ],
)
def test_eligibility(changes: dict[str, object], reason: str | None) -> None:
    assert ineligibility(article(**changes), NOW, RULES) == reason


def test_no_age_window_accepts_old_articles() -> None:
    rules = replace(RULES, max_age=None)
    old = article(published_at=datetime(2014, 1, 1, tzinfo=UTC))
    assert ineligibility(old, NOW, rules) is None
    assert ineligibility(article(published_at=NOW + timedelta(days=1)), NOW, rules) is not None


def test_hottest_first_then_newest_and_capped() -> None:
    candidates = [
        article(1, heat=120),
        article(2, heat=284),
        article(3, heat=120, published_at=NOW - timedelta(minutes=5)),
        article(4, heat=99),
        article(5, heat=150),
        article(6, heat=101),
        article(7, heat=130),
        article(8, heat=200, published=False),
    ]
    picked = select_new(candidates, NOW, RULES)
    assert [a.id for a in picked] == [2, 5, 7, 3, 1]


def test_already_posted_is_not_selected_again() -> None:
    picked = select_new([article(1), article(2)], NOW, RULES, already_posted=frozenset({1}))
    assert [a.id for a in picked] == [2]


def test_fractional_threshold_prefilter_rounds_up() -> None:
    assert PublishRules(99.5, None, 1).prefilter(NOW).min_heat == 100
    assert PublishRules(100, None, 1).prefilter(NOW).min_heat == 100


# -- not news (issue 12 item 5) -----------------------------------------------------------------

TEASERS = NotNews.of(["Sponsored content", "Anzeige:"])


@pytest.mark.parametrize(
    ("title", "excerpt", "phrase"),
    [
        ("Become an FT subscriber to read:", "", "Become an FT subscriber"),
        ("become an ft SUBSCRIBER to read", "", "Become an FT subscriber"),
        ("Markets", "Become  an FT\nsubscriber to read: …", "Become an FT subscriber"),
        ("A model reads", "Subscribe to read the rest", "Subscribe to read"),
        ("A model reads", "Subscribe to reading lists", None),  # whole words only
        ("Unsubscribe to read less", "", None),
        ("This is sponsored content", "", "Sponsored content"),
        ("SPONSORED CONTENT: a chip", "", "Sponsored content"),
        ("Sponsored contentious", "", None),
        ("ANZEIGE: Neue KI", "", "Anzeige:"),
        ("Straße", "", None),
        ("A model learns to read", "Researchers report.", None),
    ],
)
def test_not_news_phrases(title: str, excerpt: str, phrase: str | None) -> None:
    assert TEASERS.phrase_in(article(title=title, excerpt=excerpt)) == phrase


def test_unicode_whole_words_and_case_folding() -> None:
    phrases = NotNews.of(["straße", "ИИ реклама"], defaults=False)
    assert phrases.phrase_in(article(title="STRASSE gesperrt")) == "straße"
    assert phrases.phrase_in(article(title="Hauptstraßenbau")) is None  # inside a longer word
    assert phrases.phrase_in(article(title="Это ии РЕКЛАМА")) == "ИИ реклама"
    assert phrases.phrase_in(article(title="ИИрекламаx")) is None
    assert NotNews.of(defaults=False).phrase_in(article(title="Subscribe to read")) is None


def test_a_teaser_is_never_selected_and_is_counted() -> None:
    rules = replace(RULES, exclude=TEASERS)
    teaser = article(1, heat=250, title="Become an FT subscriber to read:")
    news = article(2, heat=120)
    assert ineligibility(teaser, NOW, rules) == "not news ('Become an FT subscriber')"
    assert [a.id for a in select_new([teaser, news], NOW, rules)] == [2]
    assert [
        a.id for a in not_news([teaser, news, article(3, heat=50, title=teaser.title)], NOW, rules)
    ] == [1]


# -- rising stories -------------------------------------------------------------------------------

RISING = replace(RULES, rising=RisingRules(min_heat=70, gain=20, within=timedelta(hours=3)))


def samples(*points: tuple[float, int]) -> list[HeatSample]:
    """(hours ago, heat) pairs, oldest first."""
    return [HeatSample(NOW - timedelta(hours=h), heat) for h, heat in points]


@pytest.mark.parametrize(
    ("heat", "history", "rising"),
    [
        (95, samples((2, 72), (0, 95)), True),  # +23 within 3 h
        (92, samples((2, 72), (0, 92)), True),  # +20: exactly the gain
        (91, samples((2, 72), (0, 91)), False),  # +19
        (95, samples((10, 72), (2, 95)), True),  # 72 when the window began, 95 inside it
        (95, samples((10, 72), (4, 95)), False),  # the rise was before the window
        (95, samples((2.5, 72), (1, 60), (0, 95)), True),  # lowest in the window counts
        (95, samples((0, 95)), False),  # first seen at 95: new, not rising
        (95, [], False),
        (69, samples((2, 40), (0, 69)), False),  # below rising.min_heat
        (70, samples((2, 40), (0, 70)), True),
        (95, samples((2, 120), (0, 95)), False),  # cooling down
    ],
)
def test_rising(heat: int, history: list[HeatSample], rising: bool) -> None:
    assert is_rising(article(heat=heat), history, NOW, RISING) is rising


def test_a_rising_story_is_eligible_below_min_heat_and_marked() -> None:
    histories = {
        1: samples((2, 72), (0, 95)),
        2: samples((2, 80), (0, 90)),
        3: samples((1, 130), (0, 150)),
    }
    candidates = [
        article(1, heat=95),
        article(2, heat=90),
        article(3, heat=150),
        article(4, heat=101),
    ]
    picked = select_new(candidates, NOW, RISING, histories=histories)
    assert [(a.id, a.rising) for a in picked] == [(3, True), (4, False), (1, True)]
    # rising off: the same history changes nothing
    assert [a.id for a in select_new(candidates, NOW, RULES, histories=histories)] == [3, 4]
    assert ineligibility(article(heat=95), NOW, RISING) == "heat 95 < 100"
    assert ineligibility(article(heat=95), NOW, RISING, rising=True) is None
    assert ineligibility(article(heat=95, published=False), NOW, RISING, rising=True) is not None
