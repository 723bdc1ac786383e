"""/digest and /timezone: what a subscriber (chat, thread) chose, read and changed in one
transaction per call; and the parsing of what was typed (pure)."""

from __future__ import annotations

import functools
import zoneinfo
from datetime import datetime

from jobs.digest_slots import Schedule, parse_clock, zone
from storage.records import DigestMode
from storage.unit_of_work import UowFactory

# the Digest row of /settings steps through these
_CYCLE = (DigestMode.OFF, DigestMode.HOURLY, DigestMode.DAILY)


def parse_digest(text: str) -> tuple[DigestMode, int | None] | None:
    """("daily", 480) for "daily 08:00"; the minute None when no time was given (the stored one
    stays); None for anything that is not a /digest choice."""
    words = text.casefold().split()
    if not words:
        return None
    try:
        mode = DigestMode(words[0])
    except ValueError:
        return None
    if len(words) == 1:
        return mode, None
    if mode is not DigestMode.DAILY or len(words) != 2:
        return None
    minute = parse_clock(words[1])
    return None if minute is None else (mode, minute)


def next_mode(mode: DigestMode) -> DigestMode:
    return _CYCLE[(_CYCLE.index(mode) + 1) % len(_CYCLE)]


def find_zone(name: str) -> str | None:
    """The IANA name of the time zone `name` names, in any case ("europe/berlin" ->
    "Europe/Berlin"); None when there is none. May read the zone files: not on the event loop."""
    name = name.strip()
    if name and zone(name) is not None:
        return name
    return _zones_by_casefold().get(name.casefold())


@functools.cache
def _zones_by_casefold() -> dict[str, str]:
    return {key.casefold(): key for key in zoneinfo.available_timezones()}


async def schedule_of(uow: UowFactory, chat_id: int, thread_id: int = 0) -> Schedule:
    async with uow() as tx:
        chosen = await tx.settings.settings(chat_id, thread_id)
    return Schedule(chosen.digest, chosen.digest_minute, chosen.timezone)


async def set_digest(
    uow: UowFactory,
    chat_id: int,
    mode: DigestMode,
    minute: int | None,
    now: datetime,
    thread_id: int = 0,
) -> Schedule:
    values: dict[str, object] = {"digest": mode.value}
    if minute is not None:
        values["digest_minute"] = minute
    async with uow() as tx:
        await tx.settings.change(chat_id, thread_id, now, **values)
        chosen = await tx.settings.settings(chat_id, thread_id)
    return Schedule(chosen.digest, chosen.digest_minute, chosen.timezone)


async def set_timezone(
    uow: UowFactory, chat_id: int, name: str, now: datetime, thread_id: int = 0
) -> Schedule:
    """`name` as find_zone returned it."""
    async with uow() as tx:
        await tx.settings.change(chat_id, thread_id, now, timezone=name)
        chosen = await tx.settings.settings(chat_id, thread_id)
    return Schedule(chosen.digest, chosen.digest_minute, chosen.timezone)
