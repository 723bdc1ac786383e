"""/settings: the subscriber's settings as inline buttons, edited in place with each tap.

Rows: Silent, Compact, Link preview (✅ on / ▫️ off), Minimum heat (each tap steps through the
bot's minimum and three higher thresholds; /heat sets any value), Language (opens the /language
choice in place; for the chat the menu is in only: a language is the whole chat's), Digest
(each tap steps off, hourly, daily at the chat's /digest time; /digest and /timezone set the
rest). Who may change them: as for /topic. `/settings @mychannel` in a
private chat manages a channel or group (bot.handlers.targets).

Callback data: "cfg:<key>" for the chat (or thread) the menu is in, "cfg:<key>:<chat id>" for a
managed chat; well below Telegram's 64 bytes."""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.digests import send_last_digest
from bot.handlers.access import (
    argument_text,
    chat_command,
    command_message,
    may_manage,
    now,
    remember,
    translator_for,
)
from bot.handlers.language import language_buttons, language_text
from bot.handlers.replies import edit, escape, reply
from bot.handlers.targets import Target, target_for, thread_of
from bot.i18n import LANGUAGE_NAMES, N_, Translator
from bot.permissions import ADMIN_STATUSES
from bot.services import services
from jobs.digest_settings import next_mode
from jobs.digest_slots import clock_text
from storage.records import DigestMode, SubscriberSettings

BUTTON_PATTERN = r"^cfg:(sil|cmp|lp|heat|dig|lang)(:-?\d+)?$"
_DATA = re.compile(BUTTON_PATTERN)
ON, OFF = "✅", "▫️"
HEAT_STEPS = (50, 100, 200)  # above the bot's minimum


def settings_markup(
    t: Translator, settings: SubscriberSettings, floor: float, managed: int | None
) -> InlineKeyboardMarkup:
    """The menu's buttons, in `t`'s language. Pure."""
    tail = f":{managed}" if managed is not None else ""

    def toggle(label: str, on: bool, key: str) -> list[InlineKeyboardButton]:
        return [
            InlineKeyboardButton(f"{ON if on else OFF} {label}", callback_data=f"cfg:{key}{tail}")
        ]

    heat = (
        t.gettext("🔥 Minimum heat: {value}", value=settings.min_heat)
        if settings.min_heat is not None
        else t.gettext("🔥 Minimum heat: {value} (the bot's)", value=f"{floor:g}")
    )
    rows = [
        toggle(t.gettext("Silent: posts arrive without a sound"), settings.silent, "sil"),
        toggle(t.gettext("Compact: title and link only"), settings.compact, "cmp"),
        toggle(t.gettext("Link preview"), settings.link_preview, "lp"),
        [InlineKeyboardButton(heat, callback_data=f"cfg:heat{tail}")],
        [InlineKeyboardButton(digest_label(t, settings), callback_data=f"cfg:dig{tail}")],
    ]
    if managed is None:
        language = t.gettext("🌐 Language: {language}", language=LANGUAGE_NAMES[t.language])
        rows.append([InlineKeyboardButton(language, callback_data="cfg:lang")])
    return InlineKeyboardMarkup(rows)


def digest_label(t: Translator, settings: SubscriberSettings) -> str:
    if settings.digest is DigestMode.HOURLY:
        return t.gettext("🗞 Digest: hourly")
    if settings.digest is DigestMode.DAILY:
        return t.gettext("🗞 Digest: daily at {time}", time=clock_text(settings.digest_minute))
    return t.gettext("🗞 Digest: off (each post as it comes)")


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
        case "dig":
            return {"digest": next_mode(settings.digest).value}
        case _:
            return {"min_heat": next_heat(settings.min_heat, floor)}


def _title(t: Translator, target: Target) -> str:
    if target.name:
        return t.gettext("<b>Settings</b> for {where}. Tap to change.", where=escape(target.name))
    return t.gettext("<b>Settings</b> for this chat. Tap to change.")


@chat_command
async def settings(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = command_message(update)
    t = await translator_for(update, context)
    found = await target_for(context, message, argument_text(message.text), t, change=False)
    if found is None:
        return
    target, _ = found
    svc = services(context.application)
    async with svc.uow() as tx:
        current = await tx.settings.settings(target.chat_id, target.thread_id)
    managed = target.chat_id if target.name else None
    title = _title(t, target)
    if current.paused_until is not None and current.paused_until > now():
        paused = t.gettext(
            "⏸ Posts are paused until {until} UTC (/stop). Following a topic with /topic ends "
            "the pause now.",
            until=current.paused_until.strftime("%Y-%m-%d %H:%M"),
        )
        title = f"{title}\n{paused}"
    await reply(
        message, title, markup=settings_markup(t, current, svc.config.publish.min_heat, managed)
    )


async def on_settings_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    found = _DATA.match(query.data)
    t = await translator_for(update, context)
    if not isinstance(query.message, Message) or found is None:
        await query.answer(t.gettext("This menu is too old; send /settings again."))
        return
    message = query.message
    if found[1] == "lang":  # the /language choice, in place; choosing checks who may
        await query.answer()
        await edit(message, language_text(t), language_buttons(t.language))
        return
    if found[2]:
        target = Target(int(found[2][1:]), 0, _managed_name(message))
        refusal = await _managed_refusal(context, target.chat_id, query.from_user.id)
    else:
        target = Target(message.chat.id, thread_of(message))
        refusal = await may_manage(context, message.chat, query.from_user, None)
    if refusal is not None:
        await query.answer(t.gettext(refusal), show_alert=True)
        return
    await remember(update, context, message.chat, thread_of(message))
    svc = services(context.application)
    floor = svc.config.publish.min_heat
    async with svc.uow() as tx:
        current = await tx.settings.settings(target.chat_id, target.thread_id)
    values = changed_values(found[1], current, floor)
    if "digest" in values and current.digest is not DigestMode.OFF:
        # the open period's stories, before the schedule changes (bot.handlers.digest)
        await send_last_digest(svc, target.chat_id, target.thread_id)
    async with svc.uow() as tx:
        await tx.settings.change(target.chat_id, target.thread_id, now(), **values)
        current = await tx.settings.settings(target.chat_id, target.thread_id)
    await query.answer()
    managed = target.chat_id if found[2] else None
    await edit(
        message,
        message.text_html or _title(t, target),
        settings_markup(t, current, floor, managed),
    )


def _managed_name(message: Message) -> str | None:
    return None if message.text is None else message.text


async def _managed_refusal(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int
) -> str | None:
    """A tap in a managed chat's menu: the sender must still be one of its administrators.
    Returns the refusal as a msgid (the caller translates it, as may_manage's)."""

    async def fetch() -> str:
        member = await context.bot.get_chat_member(chat_id, user_id)
        return str(member.status)

    try:
        status = await services(context.application).member_status.status(chat_id, user_id, fetch)
    except TelegramError:
        return N_("I couldn't check that chat with Telegram; please try again in a minute.")
    if status not in ADMIN_STATUSES:
        return N_("Only administrators of that chat can change what it follows: you are not one.")
    return None
