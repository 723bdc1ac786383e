"""/digest and /timezone: one message at a slot instead of each post as it comes (hourly, or
daily at a time of the chat's clock), and that clock's time zone. Who may change them: as for
/topic (bot.handlers.targets), per forum thread, `@mychannel` from a private chat."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from telegram import Update
from telegram.ext import ContextTypes

from bot.digests import send_last_digest
from bot.handlers.access import Handler, chat_command, now
from bot.handlers.replies import escape, quote, reply
from bot.handlers.targets import Asked, Target, command_target
from bot.i18n import N_, Translator
from bot.services import Services, services
from jobs import digest_settings
from jobs.digest_slots import Schedule, clock_text, zone
from jobs.zone_names import find_zone
from storage.records import DigestMode

TEXTS = {
    "off": N_("This chat gets each post as it comes."),
    "hourly": N_("This chat gets an hourly digest: one message at each full hour ({zone})."),
    "daily": N_("This chat gets a daily digest at {time} ({zone})."),
    # the same, of a channel or group managed from a private chat ("@mychannel gets …")
    "named_off": N_("{name} gets each post as it comes."),
    "named_hourly": N_("{name} gets an hourly digest: one message at each full hour ({zone})."),
    "named_daily": N_("{name} gets a daily digest at {time} ({zone})."),
    # the same, said in a forum thread: the choice is the thread's, not the whole group's
    "thread_off": N_("This thread gets each post as it comes."),
    "thread_hourly": N_(
        "This thread gets an hourly digest: one message at each full hour ({zone})."
    ),
    "thread_daily": N_("This thread gets a daily digest at {time} ({zone})."),
    "how": N_(
        "/digest <code>hourly</code>, /digest <code>daily 08:00</code> or /digest "
        "<code>off</code> (each post as it comes); /timezone sets the chat's clock."
    ),
    "bad": N_(
        "I don't understand {text}. Write /digest <code>hourly</code>, /digest "
        "<code>daily 08:00</code> (a time of the chat's clock) or /digest <code>off</code>."
    ),
    "zone": N_("This chat's time zone is {zone}; it is {time} there now."),
    "named_zone": N_("The time zone of {name} is {zone}; it is {time} there now."),
    "thread_zone": N_("This thread's time zone is {zone}; it is {time} there now."),
    "zone_how": N_(
        "Change it with /timezone and a city or Region/City: /timezone <code>Berlin</code> or "
        "/timezone <code>Europe/Berlin</code>."
    ),
    "bad_zone": N_(
        "I don't know the time zone {zone}. Write a big city near you or the zone's "
        "Region/City from the tz database: /timezone <code>Berlin</code>, "
        "<code>America/New_York</code>, <code>Asia/Kolkata</code>, or <code>UTC</code>."
    ),
}


def _about(target: Target) -> tuple[str, str]:
    """Which wording (TEXTS' key prefix) and name the answer about `target` takes: "@name" when
    it is managed from a private chat, "this thread" in a forum thread, else "this chat"."""
    if target.name:
        return "named_", escape(target.name)
    return ("thread_" if target.thread_id else ""), ""


def describe(t: Translator, schedule: Schedule, target: Target) -> str:
    """The subscriber's digest choice in words (Telegram HTML). Pure."""
    where = escape(schedule.timezone)
    key, name = _about(target)
    if schedule.mode is DigestMode.HOURLY:
        return t.gettext(TEXTS[key + "hourly"], zone=where, name=name)
    if schedule.mode is DigestMode.DAILY:
        minute = clock_text(schedule.minute)
        return t.gettext(TEXTS[key + "daily"], time=minute, zone=where, name=name)
    return t.gettext(TEXTS[key + "off"], name=name)


def zone_text(t: Translator, name: str, at: datetime, target: Target) -> str:
    local = at.astimezone(zone(name) or UTC)
    key, where = _about(target)
    return t.gettext(TEXTS[key + "zone"], zone=escape(name), time=f"{local:%H:%M}", name=where)


Answer = Callable[[Asked, Schedule, Services], Awaitable[None]]


def _setting_command(answer: Answer) -> Handler:
    """A command answered from the subscriber's digest schedule (as it is before the change)."""

    @chat_command
    async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        asked = await command_target(update, context)
        if asked is None:
            return
        svc = services(context.application)
        target = asked.target
        schedule = await digest_settings.schedule_of(svc.uow, target.chat_id, target.thread_id)
        await answer(asked, schedule, svc)

    return handler


async def _digest(asked: Asked, schedule: Schedule, svc: Services) -> None:
    message, t, target, text = asked.message, asked.t, asked.target, asked.text
    if not text:
        shown = describe(t, schedule, target)
        await reply(message, f"{shown}\n{t.gettext(TEXTS['how'])}")
        return
    choice = digest_settings.parse_digest(text)
    if choice is None:
        await reply(message, t.gettext(TEXTS["bad"], text=quote(text)))
        return
    mode, minute = choice
    if schedule.mode is not DigestMode.OFF and (
        mode is not schedule.mode or (minute is not None and minute != schedule.minute)
    ):
        # the open period's stories, before its slots move: a daily digest turned hourly at
        # 15:30 would otherwise never list what came since 08:00
        await send_last_digest(svc, target.chat_id, target.thread_id)
    schedule = await digest_settings.set_digest(
        svc.uow, target.chat_id, *choice, now(), target.thread_id
    )
    await reply(message, f"✅ {describe(t, schedule, target)}")


async def _timezone(asked: Asked, schedule: Schedule, svc: Services) -> None:
    message, t, target, text = asked.message, asked.t, asked.target, asked.text
    if not text:
        shown = zone_text(t, schedule.timezone, now(), target)
        await reply(message, f"{shown}\n{t.gettext(TEXTS['zone_how'])}")
        return
    # the zone files are read from disk, and the first look-up by any case lists them all
    name = await asyncio.to_thread(find_zone, text)
    if name is None:
        await reply(message, t.gettext(TEXTS["bad_zone"], zone=quote(text)))
        return
    schedule = await digest_settings.set_timezone(
        svc.uow, target.chat_id, name, now(), target.thread_id
    )
    shown = zone_text(t, name, now(), target)
    await reply(message, f"✅ {shown}\n{describe(t, schedule, target)}")


digest = _setting_command(_digest)
timezone = _setting_command(_timezone)
