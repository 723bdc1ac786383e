"""/digest and /timezone: what a subscriber (chat, thread) chose, read and changed in one
transaction per call; and the parsing of what was typed (pure)."""

from __future__ import annotations

from datetime import datetime

from jobs.digest_slots import Schedule, parse_clock
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
    if mode is not DigestMode.DAILY or len(words) > 3:
        return None
    minute = parse_clock(" ".join(words[1:]))  # "8:30 pm" is two words
    return None if minute is None else (mode, minute)


def next_mode(mode: DigestMode) -> DigestMode:
    return _CYCLE[(_CYCLE.index(mode) + 1) % len(_CYCLE)]


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
    """`name` as jobs.zone_names.find_zone returned it."""
    async with uow() as tx:
        await tx.settings.change(chat_id, thread_id, now, timezone=name)
        chosen = await tx.settings.settings(chat_id, thread_id)
    return Schedule(chosen.digest, chosen.digest_minute, chosen.timezone)
