"""The one backoff formula (equal jitter, capped after the draw): pure, table-driven."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jobs.backoff import Backoff

SECONDS = Backoff(base=2.0, cap=600.0)


@pytest.mark.parametrize(
    ("attempt", "draw", "delay"),
    [
        (1, 0.0, 1.0),
        (1, 0.999, 1.999),
        (2, 0.0, 2.0),
        (3, 0.5, 6.0),
        # Capped after the draw (was 300 when the delivery backoff capped before it): no wait
        # is shorter than the longest the one before could have been.
        (20, 0.0, 600.0),
        (0, 1.0, 2.0),  # a nonsense count is the first failure
        (3, -1.0, 4.0),  # a draw out of range is clamped
        (3, 2.0, 8.0),
        (10_000, 0.3, 600.0),  # no overflow, however long the outage
    ],
)
def test_backoff_is_exponential_with_equal_jitter_and_capped(
    attempt: int, draw: float, delay: float
) -> None:
    assert SECONDS.delay(attempt, draw) == pytest.approx(delay)


def test_no_wait_is_shorter_than_the_longest_one_before() -> None:
    for attempt in range(1, 40):
        assert SECONDS.delay(attempt + 1, 0.0) >= SECONDS.delay(attempt, 1.0) or (
            SECONDS.delay(attempt, 1.0) == SECONDS.cap
        )


def test_longest_is_the_top_of_the_draw() -> None:
    db = Backoff(base=2.0, cap=30.0)
    assert [db.longest(n) for n in range(1, 8)] == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]


def test_a_timedelta_base_is_scaled_exactly_and_never_overflows() -> None:
    feed = Backoff(base=timedelta(minutes=1), cap=timedelta(hours=1))
    assert feed.delay(2, 0.5) == timedelta(seconds=90)
    assert feed.delay(7, 0.0) == timedelta(minutes=32)
    assert feed.delay(1_000_000, 0.0) == timedelta(hours=1)
