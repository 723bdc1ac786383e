"""When a digest is due: each digest chat's slots in its own time zone, and the period a slot
covers. Pure; table-tested across time zones and daylight-saving changes
(tests/test_digest_slots.py).

- Hourly: a slot at every full hour of the chat's local clock (so at :30 UTC in Asia/Kolkata);
  the slot covers the hour before it.
- Daily at HH:MM: a slot at that wall time each local day; it covers the time since the slot
  before it (23 or 25 hours across a daylight-saving change). A wall time that does not exist
  that day (the hour skipped in spring) comes at the same offset as the day before, an hour
  later on the new clock; one that exists twice (autumn) comes once, at the first.
- Catching up: the slot job asks for the latest slot after the last moment it finished
  (`since`) and up to now; after a long outage a chat gets that one digest, not one per
  missed slot."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage.records import DigestMode

MINUTES_A_DAY = 24 * 60
_HOUR = timedelta(hours=1)
_CLOCK = re.compile(r"^([01]?\d|2[0-3])(?:[:.h]([0-5]\d))?$")
_CLOCK_12 = re.compile(r"^(1[0-2]|0?[1-9])(?:[:.]([0-5]\d))? ?([ap])\.?m\.?$")


@dataclass(frozen=True, slots=True)
class Schedule:
    mode: DigestMode
    minute: int = 0  # daily: minutes after local midnight
    timezone: str = "UTC"


@dataclass(frozen=True, slots=True)
class Period:
    """What a digest lists: stories opened from `start` (inclusive) to `end` (exclusive, the
    slot), aware UTC datetimes."""

    start: datetime
    end: datetime


def zone(name: str) -> tzinfo | None:
    """The IANA time zone of that name; None when there is none (or the name is malformed).
    UTC, the default, needs no zone files (a system without them still sends its digests)."""
    if name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_clock(text: str) -> int | None:
    """Minutes after midnight for "08:00", "8:30", "20.15", "7h05", "8" (a whole hour), and the
    12-hour clock's "8am", "8:30 pm", "12 a.m."; None for anything else."""
    text = text.strip().casefold()
    found = _CLOCK.match(text)
    if found is not None:
        return int(found[1]) * 60 + int(found[2] or 0)
    found = _CLOCK_12.match(text)
    if found is None:
        return None
    hour = int(found[1]) % 12 + (12 if found[3] == "p" else 0)
    return hour * 60 + int(found[2] or 0)


def clock_text(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def latest_slot(schedule: Schedule, at: datetime, tz: tzinfo) -> datetime:
    """The last slot at or before `at` (aware)."""
    if schedule.mode is DigestMode.HOURLY:
        local = at.astimezone(tz)
        past_the_hour = timedelta(
            minutes=local.minute, seconds=local.second, microseconds=local.microsecond
        )
        return (at - past_the_hour).astimezone(UTC)
    day = at.astimezone(tz).date()
    slot = _wall(day, schedule.minute, tz)
    return slot if slot <= at else _wall(day - timedelta(days=1), schedule.minute, tz)


def previous_slot(schedule: Schedule, slot: datetime, tz: tzinfo) -> datetime:
    """The slot before `slot` (itself a slot of the schedule)."""
    if schedule.mode is DigestMode.HOURLY:
        return slot - _HOUR
    day = slot.astimezone(tz).date()
    return _wall(day - timedelta(days=1), schedule.minute, tz)


def due_period(schedule: Schedule, since: datetime, now: datetime) -> Period | None:
    """The period whose slot came after `since` and at or before `now` (the latest, when there
    were several); None when no slot came, for digests off, or for an unknown time zone."""
    if schedule.mode is DigestMode.OFF:
        return None
    tz = zone(schedule.timezone)
    if tz is None:
        return None
    slot = latest_slot(schedule, now, tz)
    if slot <= since:
        return None
    return Period(previous_slot(schedule, slot, tz), slot)


def open_period(schedule: Schedule, at: datetime, handled: datetime) -> Period | None:
    """What a chat leaving digests (/digest off) has not had yet: from its latest slot to
    `at`, or from the slot before when the slot job (which last ran at `handled`) has not yet
    seen the latest one. None for digests off or an unknown time zone."""
    tz = zone(schedule.timezone)
    if schedule.mode is DigestMode.OFF or tz is None:
        return None
    slot = latest_slot(schedule, at, tz)
    return Period(slot if handled >= slot else previous_slot(schedule, slot, tz), at)


def _wall(day: date, minute: int, tz: tzinfo) -> datetime:
    """The instant the wall clock in `tz` shows `minute` on `day` (fold 0: the first of two,
    and the offset before a gap)."""
    minute = min(max(minute, 0), MINUTES_A_DAY - 1)
    local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
    return local.astimezone(UTC)
