"""Which subscriber a command acts on, and whether the sender may change it.

- In a chat, the chat itself; in a forum supergroup, the thread the command was sent in (the
  General thread is the group itself, thread 0).
- From a private chat, "@mychannel" (or "@mygroup") as the first word names a channel or group
  to manage: the sender must be one of its administrators (getChatMember) and the bot must be
  able to post there (getChatMember of the bot: can_post_messages in a channel, a member in a
  group). The configured main channel is not managed this way: its posts follow the config.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.handlers.access import (
    argument_text,
    command_message,
    may_manage,
    now,
    translator_for,
)
from bot.handlers.replies import escape, reply
from bot.i18n import N_, Translator
from bot.permissions import ADMIN_STATUSES
from bot.services import services
from jobs.subscriptions import remember_chat
from storage.records import ChatKind

log = logging.getLogger(__name__)

TEXTS = {
    "unknown": N_("I can't find {name}. Check the name, and add me there first."),
    "not_admin": N_("Only administrators of {name} can change what it follows: you are not one."),
    "bot_cannot_post": N_(
        "I can't post in {name}: make me an administrator there with the right to post "
        "messages, then try again."
    ),
    "neither": N_(
        "Two things are missing for {name}: you are not one of its administrators, and I "
        "can't post there (make me an administrator with the right to post messages)."
    ),
    "main_channel": N_(
        "{name} is this bot's main channel: what it gets is set in the bot's config, not "
        "with commands."
    ),
    "private_only": N_("Name a channel or group with @ only in a private chat with me."),
    "cannot_check": N_("I couldn't check {name} with Telegram; please try again in a minute."),
}
_CAN_POST_IN_GROUP = frozenset({"member", "administrator", "creator", "restricted"})


@dataclass(frozen=True, slots=True)
class Target:
    chat_id: int
    thread_id: int = 0
    name: str | None = None  # "@mychannel" when managed from a private chat


def thread_of(message: Message) -> int:
    """The forum thread a message was sent in; 0 outside forums and in the General thread (a
    reply chain in a plain group has a thread id too, but it is no thread of its own)."""
    if message.is_topic_message and message.message_thread_id:
        return message.message_thread_id
    return 0


def split_target(text: str) -> tuple[str | None, str]:
    """("@mychannel", "ai, nlp") for "@mychannel ai, nlp"; (None, text) without an @name."""
    first, _, rest = text.partition(" ")
    if first.startswith("@") and len(first) > 1:
        return first, rest.strip()
    return None, text


async def target_for(
    context: ContextTypes.DEFAULT_TYPE,
    message: Message,
    text: str,
    t: Translator,
    *,
    change: bool,
) -> tuple[Target, str] | None:
    """The subscriber the command acts on and the rest of its argument text; None when the
    sender may not (the refusal was sent). `change`: the command changes something (a local
    chat lets anyone read; a managed one only its administrators)."""
    name, rest = split_target(text)
    if name is None:
        if change:
            refusal = await may_manage(context, message.chat, message.from_user, message)
            if refusal is not None:
                await reply(message, t.gettext(refusal))
                return None
        return Target(message.chat_id, thread_of(message)), rest
    if message.chat.type != "private":
        await reply(message, t.gettext(TEXTS["private_only"]))
        return None
    chat_id = await _managed_chat(context, message, name, t)
    return None if chat_id is None else (Target(chat_id, 0, name), rest)


@dataclass(frozen=True, slots=True)
class Asked:
    """A command as its handler takes it: the message, the words to answer in, the subscriber
    it acts on and the rest of its argument text."""

    message: Message
    t: Translator
    target: Target
    text: str


async def command_target(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Asked | None:
    """For a command that shows a setting without an argument and changes it with one: None
    when the sender may not (the refusal was sent)."""
    message = command_message(update)
    t = await translator_for(update, context)
    text = argument_text(message.text)
    found = await target_for(context, message, text, t, change=bool(text))
    return None if found is None else Asked(message, t, *found)


async def _managed_chat(
    context: ContextTypes.DEFAULT_TYPE, message: Message, name: str, t: Translator
) -> int | None:
    shown = escape(name)
    svc = services(context.application)
    main = svc.config.telegram.channel
    if isinstance(main, str) and main.casefold() == name.casefold():
        await reply(message, t.gettext(TEXTS["main_channel"], name=shown))
        return None
    try:
        chat = await context.bot.get_chat(name)
    except TelegramError as exc:
        log.info("getChat(%s) for a managed chat failed: %s", name, exc.message)
        await reply(message, t.gettext(TEXTS["unknown"], name=shown))
        return None
    if chat.id == svc.channel_id:
        await reply(message, t.gettext(TEXTS["main_channel"], name=shown))
        return None
    if chat.type == "private" or message.from_user is None:
        await reply(message, t.gettext(TEXTS["unknown"], name=shown))
        return None
    try:
        sender = await context.bot.get_chat_member(chat.id, message.from_user.id)
        bot = await context.bot.get_chat_member(chat.id, context.bot.id)
    except TelegramError as exc:
        log.warning("getChatMember in %s failed: %s", name, exc.message)
        await reply(message, t.gettext(TEXTS["cannot_check"], name=shown))
        return None
    is_admin = str(sender.status) in ADMIN_STATUSES
    if chat.type == "channel":
        can_post = bool(getattr(bot, "can_post_messages", False)) or str(bot.status) == "creator"
    else:
        can_post = str(bot.status) in _CAN_POST_IN_GROUP
    missing = (
        "neither"
        if not (is_admin or can_post)
        else "not_admin"
        if not is_admin
        else "bot_cannot_post"
        if not can_post
        else None
    )
    if missing is not None:
        await reply(message, t.gettext(TEXTS[missing], name=shown))
        return None
    await remember_chat(svc.uow, chat.id, ChatKind(chat.type), chat.title, now())
    return chat.id
