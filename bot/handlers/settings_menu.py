"""/settings: the subscriber's settings as inline buttons, edited in place with each tap.

Rows: Silent, Compact, Link preview (✅ on / ▫️ off), Minimum heat (each tap steps through the
bot's minimum and three higher thresholds; /heat sets any value). The Digest and Language rows
join when those features exist. Who may change them: as for /topic. `/settings @mychannel` in a
private chat manages a channel or group (bot.handlers.targets).

Callback data: "cfg:<key>" for the chat (or thread) the menu is in, "cfg:<key>:<chat id>" for a
managed chat; well below Telegram's 64 bytes."""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.handlers.access import (
    argument_text,
    chat_command,
    command_message,
    may_manage,
    now,
    remember,
)
from bot.handlers.replies import edit, escape, reply
from bot.handlers.targets import TEXTS as TARGET_TEXTS
from bot.handlers.targets import Target, target_for, thread_of
from bot.permissions import ADMIN_STATUSES
from bot.services import services
from storage.records import SubscriberSettings

BUTTON_PATTERN = r"^cfg:(sil|cmp|lp|heat)(:-?\d+)?$"
_DATA = re.compile(BUTTON_PATTERN)
ON, OFF = "✅", "▫️"
HEAT_STEPS = (50, 100, 200)  # above the bot's minimum
TEXTS = {
    "title": "<b>Settings</b> for {where}. Tap to change.",
    "here": "this chat",
    "silent": "Silent: posts arrive without a sound",
    "compact": "Compact: title and link only",
    "link_preview": "Link preview",
    "heat": "🔥 Minimum heat: {value}",
    "heat_default": "🔥 Minimum heat: {value} (the bot's)",
    "too_old": "This menu is too old; send /settings again.",
}


def settings_markup(
    settings: SubscriberSettings, floor: float, managed: int | None
) -> InlineKeyboardMarkup:
    """The menu's buttons. Pure."""
    tail = f":{managed}" if managed is not None else ""

    def toggle(label: str, on: bool, key: str) -> list[InlineKeyboardButton]:
        return [
            InlineKeyboardButton(f"{ON if on else OFF} {label}", callback_data=f"cfg:{key}{tail}")
        ]

    heat = (
        TEXTS["heat"].format(value=settings.min_heat)
        if settings.min_heat is not None
        else TEXTS["heat_default"].format(value=f"{floor:g}")
    )
    return InlineKeyboardMarkup(
        [
            toggle(TEXTS["silent"], settings.silent, "sil"),
            toggle(TEXTS["compact"], settings.compact, "cmp"),
            toggle(TEXTS["link_preview"], settings.link_preview, "lp"),
            [InlineKeyboardButton(heat, callback_data=f"cfg:heat{tail}")],
        ]
    )


def next_heat(current: int | None, floor: float) -> int | None:
    """The threshold after `current` in the menu's cycle: the bot's, then HEAT_STEPS above it."""
    base = int(floor)
    steps = [base + step for step in HEAT_STEPS]
    if current is None:
        return steps[0]
    later = [s for s in steps if s > current]
    return later[0] if later else None


def changed_values(key: str, settings: SubscriberSettings, floor: float) -> dict[str, object]:
    match key:
        case "sil":
            return {"silent": not settings.silent}
        case "cmp":
            return {"compact": not settings.compact}
        case "lp":
            return {"link_preview": not settings.link_preview}
        case _:
            return {"min_heat": next_heat(settings.min_heat, floor)}


def _title(target: Target) -> str:
    where = escape(target.name) if target.name else TEXTS["here"]
    return TEXTS["title"].format(where=where)


@chat_command
async def settings(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = command_message(update)
    found = await target_for(context, message, argument_text(message.text), change=False)
    if found is None:
        return
    target, _ = found
    svc = services(context.application)
    async with svc.uow() as tx:
        current = await tx.settings.settings(target.chat_id, target.thread_id)
    managed = target.chat_id if target.name else None
    await reply(
        message,
        _title(target),
        markup=settings_markup(current, svc.config.publish.min_heat, managed),
    )


async def on_settings_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    found = _DATA.match(query.data)
    if not isinstance(query.message, Message) or found is None:
        await query.answer(TEXTS["too_old"])
        return
    message = query.message
    if found[2]:
        target = Target(int(found[2][1:]), 0, _managed_name(message))
        refusal = await _managed_refusal(context, target.chat_id, query.from_user.id)
    else:
        target = Target(message.chat.id, thread_of(message))
        refusal = await may_manage(context, message.chat, query.from_user, None)
    if refusal is not None:
        await query.answer(refusal, show_alert=True)
        return
    await remember(context, message.chat, thread_of(message))
    svc = services(context.application)
    floor = svc.config.publish.min_heat
    async with svc.uow() as tx:
        current = await tx.settings.settings(target.chat_id, target.thread_id)
        values = changed_values(found[1], current, floor)
        await tx.settings.change(target.chat_id, target.thread_id, now(), **values)
        current = await tx.settings.settings(target.chat_id, target.thread_id)
    await query.answer()
    managed = target.chat_id if found[2] else None
    await edit(
        message, message.text_html or _title(target), settings_markup(current, floor, managed)
    )


def _managed_name(message: Message) -> str | None:
    return None if message.text is None else message.text


async def _managed_refusal(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int
) -> str | None:
    """A tap in a managed chat's menu: the sender must still be one of its administrators."""

    async def fetch() -> str:
        member = await context.bot.get_chat_member(chat_id, user_id)
        return str(member.status)

    try:
        status = await services(context.application).member_status.status(chat_id, user_id, fetch)
    except TelegramError:
        return TARGET_TEXTS["cannot_check"].format(name="that chat")
    if status not in ADMIN_STATUSES:
        return TARGET_TEXTS["not_admin"].format(name="that chat")
    return None
