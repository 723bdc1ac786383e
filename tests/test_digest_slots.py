"""When digests are due (jobs.digest_slots): hourly and daily slots in several time zones,
across daylight-saving changes, and the catching up after an outage."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from jobs.digest_settings import parse_digest
from jobs.digest_slots import (
    Period,
    Schedule,
    clock_text,
    due_period,
    open_period,
    parse_clock,
)
from storage.records import DigestMode

HOURLY, DAILY, OFF = DigestMode.HOURLY, DigestMode.DAILY, DigestMode.OFF


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


KOLKATA_HOURLY = Schedule(HOURLY, 0, "Asia/Kolkata")  # a half-hour zone
BERLIN_0800 = Schedule(DAILY, 8 * 60, "Europe/Berlin")
BERLIN_0230 = Schedule(DAILY, 2 * 60 + 30, "Europe/Berlin")  # none in spring, twice in autumn

# (schedule, since, now, the period due: (start, end) or None)
DUE = [
    # UTC, hourly: the hour just ended, once
    (Schedule(HOURLY), "2026-12-01 08:59", "2026-12-01 09:00", ("08:00", "09:00")),
    (Schedule(HOURLY), "2026-12-01 09:00", "2026-12-01 09:59", None),
    (Schedule(HOURLY), "2026-12-01 08:30", "2026-12-01 08:59", None),
    # half-hour zone: local full hours are :30 UTC
    (KOLKATA_HOURLY, "2026-12-01 08:29", "2026-12-01 08:31", ("07:30", "08:30")),
    (KOLKATA_HOURLY, "2026-12-01 08:31", "2026-12-01 09:29", None),
    # daily 08:00 in Berlin: 07:00 UTC in winter, 06:00 in summer
    (BERLIN_0800, "2026-12-01 06:59", "2026-12-01 07:00", ("2026-11-30 07:00", "2026-12-01 07:00")),
    (BERLIN_0800, "2026-12-01 07:00", "2026-12-02 06:59", None),
    (BERLIN_0800, "2026-07-01 05:59", "2026-07-01 06:01", ("2026-06-30 06:00", "2026-07-01 06:00")),
    # the spring change (29 March 2026): the period is 23 hours
    (BERLIN_0800, "2026-03-29 05:59", "2026-03-29 06:00", ("2026-03-28 07:00", "2026-03-29 06:00")),
    # the autumn change (25 October 2026): 25 hours
    (BERLIN_0800, "2026-10-25 06:59", "2026-10-25 07:00", ("2026-10-24 06:00", "2026-10-25 07:00")),
    # 02:30 does not exist on 29 March in Berlin: it comes at 03:30 CEST (01:30 UTC), once
    (BERLIN_0230, "2026-03-29 01:29", "2026-03-29 01:30", ("2026-03-28 01:30", "2026-03-29 01:30")),
    (BERLIN_0230, "2026-03-29 01:30", "2026-03-30 00:29", None),
    # 02:30 happens twice on 25 October: the first one (00:30 UTC), not again at 01:30
    (BERLIN_0230, "2026-10-25 00:29", "2026-10-25 00:30", ("2026-10-24 00:30", "2026-10-25 00:30")),
    (BERLIN_0230, "2026-10-25 00:30", "2026-10-25 01:31", None),
    # hourly across the autumn change: every UTC hour is a local full hour, none skipped
    (
        Schedule(HOURLY, 0, "Europe/Berlin"),
        "2026-10-25 00:59",
        "2026-10-25 01:00",
        ("2026-10-25 00:00", "2026-10-25 01:00"),
    ),
    # New York's daily 23:30 falls on the next UTC day
    (
        Schedule(DAILY, 23 * 60 + 30, "America/New_York"),
        "2026-12-02 04:29",
        "2026-12-02 04:30",
        ("2026-12-01 04:30", "2026-12-02 04:30"),
    ),
    # after an outage: the latest slot only, once
    (Schedule(HOURLY), "2026-12-01 03:10", "2026-12-01 09:05", ("08:00", "09:00")),
    (
        Schedule(DAILY, 480),
        "2026-11-25 12:00",
        "2026-12-01 09:00",
        ("2026-11-30 08:00", "2026-12-01 08:00"),
    ),
    # off, and an unknown zone: never due
    (Schedule(OFF), "2026-12-01 08:59", "2026-12-01 09:00", None),
    (Schedule(HOURLY, 0, "Mars/Olympus"), "2026-12-01 08:59", "2026-12-01 09:00", None),
]


@pytest.mark.parametrize(("schedule", "since", "now", "expected"), DUE)
def test_due_period(
    schedule: Schedule, since: str, now: str, expected: tuple[str, str] | None
) -> None:
    day = now[:10]
    want = (
        None
        if expected is None
        else Period(*(utc(t if len(t) > 5 else f"{day} {t}") for t in expected))
    )
    assert due_period(schedule, utc(since), utc(now)) == want


def test_each_slot_is_due_exactly_once_over_a_year_of_minute_ticks_in_berlin() -> None:
    """Ticking every 7 minutes through 2026 (both changes), each daily 02:30 slot (the one
    that is skipped and the one that repeats included) comes once, and periods tile."""
    schedule = BERLIN_0230
    since = utc("2026-01-01 00:00")
    periods: list[Period] = []
    tick = since
    while tick < utc("2027-01-01 00:00"):
        tick = datetime.fromtimestamp(tick.timestamp() + 7 * 60, UTC)
        period = due_period(schedule, since, tick)
        if period is not None:
            periods.append(period)
        since = tick
    assert len(periods) == 365
    assert all(a.end == b.start for a, b in itertools.pairwise(periods))


CLOCKS = [
    ("08:00", 480),
    ("8:30", 510),
    ("20.15", 1215),
    ("7h05", 425),
    ("23:59", 1439),
    ("8", 480),
    ("08:00pm", 1200),
    ("8am", 480),
    ("8:30 PM", 1230),
    ("12 a.m.", 0),
    ("12pm", 720),
]


@pytest.mark.parametrize(("text", "minute"), CLOCKS)
def test_parse_clock(text: str, minute: int) -> None:
    assert parse_clock(text) == minute


@pytest.mark.parametrize(
    "text", ["24:00", "24", "08:60", "noon", "", "-1:00", "13pm", "0am", "8 o'clock", "20:00pm"]
)
def test_parse_clock_refuses(text: str) -> None:
    assert parse_clock(text) is None


def test_clock_text() -> None:
    assert [clock_text(m) for m in (0, 480, 1439)] == ["00:00", "08:00", "23:59"]


@pytest.mark.parametrize(
    ("text", "choice"),
    [
        ("daily", (DigestMode.DAILY, None)),
        ("daily 8:30 pm", (DigestMode.DAILY, 1230)),
        ("Daily 8", (DigestMode.DAILY, 480)),
        ("hourly", (DigestMode.HOURLY, None)),
        ("hourly 8", None),
        ("daily 8 30 pm", None),
        ("weekly", None),
    ],
)
def test_parse_digest(text: str, choice: tuple[DigestMode, int | None] | None) -> None:
    assert parse_digest(text) == choice


@pytest.mark.parametrize(
    ("schedule", "at", "handled", "period"),
    [
        # the latest slot's digest was seen by the slot job: from that slot on
        (Schedule(HOURLY, 0, "UTC"), "2026-12-01 12:20", "2026-12-01 12:00:30", ("12:00", "12:20")),
        # not yet (the job runs each minute): from the slot before, what it would have listed
        (
            Schedule(HOURLY, 0, "UTC"),
            "2026-12-01 12:00:10",
            "2026-12-01 11:59",
            ("11:00", "12:00:10"),
        ),
        (BERLIN_0800, "2026-12-01 10:00", "2026-12-01 09:59", ("07:00", "10:00")),  # 08:00 CET
    ],
)
def test_the_open_period_of_a_chat_leaving_digests(
    schedule: Schedule, at: str, handled: str, period: tuple[str, str]
) -> None:
    day = at[:11]
    expected = Period(utc(day + period[0]), utc(day + period[1]))
    assert open_period(schedule, utc(at), utc(handled)) == expected


def test_no_open_period_without_digests() -> None:
    assert (
        open_period(Schedule(OFF, 0, "UTC"), utc("2026-12-01 12:20"), utc("2026-12-01 12:00"))
        is None
    )
