"""What gets posted: the selection rules as a table."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from jobs.selection import CLOCK_SKEW, PublishRules, ineligibility, select_new
from storage.records import Article

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
RULES = PublishRules(min_heat=100, max_age=timedelta(hours=24), max_per_run=5)


def article(id_: int = 1, **changes: object) -> Article:
    base = Article(
        id=id_,
        url=f"https://example.com/{id_}",
        link=f"https://example.com/{id_}",
        title=f"Article {id_}",
        excerpt="",
        source_name=None,
        source_domain=None,
        image_url=None,
        heat=150,
        published=True,
        published_at=NOW - timedelta(hours=1),
        topics=(),
        first_seen_at=NOW,
        updated_at=NOW,
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
