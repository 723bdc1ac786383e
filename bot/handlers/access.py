"""What handlers start with: the command's message and argument text, remembering the chat, the
language to answer in (bot.i18n.chat_language), and deciding (bot.permissions) whether the
sender may change the chat's topics or use an admin command."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from telegram import CallbackQuery, Chat, Message, Update, User
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.handlers.replies import reply
from bot.i18n import N_, Translator, chat_language, translator
from bot.permissions import Verdict, is_bot_admin, may_manage_chat
from bot.services import services
from jobs.subscriptions import remember_chat
from storage.records import ChatKind
from storage.tables import APP_LANGUAGE_LENGTH

log = logging.getLogger(__name__)

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]

# Refusals, translated where they are shown (t.gettext(refusal)).
NOT_A_GROUP_ADMIN = N_("Only this group's admins can change its settings.")
NOT_A_BOT_ADMIN = N_("Sorry, that command is only for the admins of this bot.")
CANNOT_CHECK = N_("I couldn't check whether you are an admin here; please try again in a minute.")


def now() -> datetime:
    return datetime.now(UTC)


def command_message(update: Update) -> Message:
    """The message a command handler was called for (chat_command lets no other through)."""
    message = update.effective_message
    assert message is not None
    return message


def argument_text(text: str | None) -> str:
    """What follows the command word ("/topic@bot  ai,\\nnlp" -> "ai,\\nnlp"), line breaks kept:
    jobs.topic_matching treats them as separators."""
    if not text:
        return ""
    parts = text.split(maxsplit=1)
    return parts[1].strip() if len(parts) == 2 else ""


def fallback_translator(update: object, context: ContextTypes.DEFAULT_TYPE) -> Translator:
    """The chat's language without asking the database (which may be what failed): the user's
    own in a private chat, telegram.language elsewhere."""
    configured = services(context.application).config.telegram.language
    if not isinstance(update, Update) or update.effective_chat is None:
        return translator(configured)
    user = update.effective_user
    return translator(
        chat_language(
            None, update.effective_chat.type, user.language_code if user else None, configured
        )
    )


async def translator_for(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Translator:
    """The language to answer this update in: the chat's /language choice, else
    fallback_translator's."""
    chat = update.effective_chat
    if chat is None:
        return fallback_translator(update, context)
    async with services(context.application).uow() as tx:
        known = await tx.chats.chat(chat.id)
    if known is None or known.language is None:
        return fallback_translator(update, context)
    return translator(known.language)


async def remember(
    update: Update, context: ContextTypes.DEFAULT_TYPE, chat: Chat, thread_id: int = 0
) -> None:
    """The chat is known, and active again if it had blocked the bot or sent /stop: a message
    or a button press from it (or from its forum thread) shows that it can be reached and wants
    to be. A private chat's app language is kept too, for what the bot sends there unasked."""
    title = chat.title or chat.full_name or chat.username
    svc = services(context.application)
    language = app_language_of(update)
    # An admin's own command menu (set at /start, in the language of then) follows a new app
    # language, as everything else they read does, unless /language chose one. Everyone
    # else's menu is Telegram's per app language already.
    before = None
    if language is not None and sender_is_bot_admin(update, context):
        async with svc.uow() as tx:
            before = await tx.chats.chat(chat.id)
    await remember_chat(
        svc.uow, chat.id, ChatKind(chat.type), title, now(), thread_id, app_language=language
    )
    if before is not None and before.language is None and language is not None:
        configured = svc.config.telegram.language
        new = translator(language, configured)
        if translator(before.app_language, configured) is not new:
            # bot.handlers.commands builds the menus and imports this module: imported here
            from bot.handlers.commands import set_private_menu

            await set_private_menu(update, context, new)


async def note_app_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """What a message that is no command (plain text, an unknown command) keeps: its user's
    app language, for a private chat the bot knows already; nothing else about the chat."""
    chat, language = update.effective_chat, app_language_of(update)
    if chat is not None and language is not None:
        async with services(context.application).uow() as tx:
            await tx.chats.note_app_language(chat.id, language)


def app_language_of(update: Update) -> str | None:
    """The language_code of a private chat's own user's app, from their message or press (as
    Telegram sent it: bot.i18n resolves it where it is used, so a catalogue added later applies
    at once); None in any other chat (a group member's app language is theirs, not the
    group's), or when Telegram sent none."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type != "private" or user.id != chat.id:
        return None
    return (user.language_code or "")[:APP_LANGUAGE_LENGTH] or None


def chat_command(callback: Handler) -> Handler:
    """A command anyone may send; the chat is remembered first."""

    @functools.wraps(callback)
    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if update.effective_chat is None or message is None:
            return
        topic_thread = message.is_topic_message and message.message_thread_id
        await remember(update, context, update.effective_chat, topic_thread or 0)
        await callback(update, context)

    return handle


def admin_command(callback: Handler, hint: str | None = None) -> Handler:
    """A command for the numeric user ids in telegram.admins only; anyone else is refused, and
    the refusal is logged with their id. `hint` (an N_ message): what such a user may do
    instead, said after the refusal (a subscriber's /pause is /stop's pause)."""

    @functools.wraps(callback)
    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        if not sender_is_bot_admin(update, context):
            user = message.from_user
            log.warning(
                "refused %s from user %s in chat %d: not in telegram.admins",
                (message.text or "").split(maxsplit=1)[0][:40],
                user.id if user else "(none)",
                message.chat_id,
            )
            t = await translator_for(update, context)
            refusal = t.gettext(NOT_A_BOT_ADMIN)
            await reply(message, f"{refusal}\n{t.gettext(hint)}" if hint else refusal)
            return
        await handle_for_chat(update, context)

    handle_for_chat = chat_command(callback)
    return handle


def sender_is_bot_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    message = update.effective_message
    user = message.from_user if message is not None else update.effective_user
    return is_bot_admin(
        user.id if user else None,
        services(context.application).config.telegram.admins,
        sent_as_chat=message is not None and message.sender_chat is not None,
    )


async def may_manage(
    context: ContextTypes.DEFAULT_TYPE, chat: Chat, user: User | None, message: Message | None
) -> str | None:
    """None when the sender may change the chat's settings (what it follows, its threshold, its
    language), else the polite refusal to show, untranslated (a msgid for t.gettext).
    `message` is the sender's own message (None for a button press)."""
    anonymous = (
        message is not None
        and message.sender_chat is not None
        and message.sender_chat.id == chat.id
    )
    verdict = may_manage_chat(chat.type, anonymous_admin=anonymous)
    if verdict is Verdict.ASK_TELEGRAM:
        if user is None:
            return NOT_A_GROUP_ADMIN
        svc = services(context.application)

        async def fetch() -> str:
            member = await context.bot.get_chat_member(chat.id, user.id)
            return str(member.status)

        try:
            status = await svc.member_status.status(chat.id, user.id, fetch)
        except TelegramError as exc:
            log.warning("getChatMember(%d, %d) failed: %s", chat.id, user.id, exc.message)
            return CANNOT_CHECK
        verdict = may_manage_chat(chat.type, member_status=status)
    return None if verdict is Verdict.ALLOWED else NOT_A_GROUP_ADMIN


@dataclass(frozen=True, slots=True)
class Press:
    """A button pressed on one of the bot's messages."""

    query: CallbackQuery
    data: str
    message: Message
    t: Translator  # the chat's language


async def button_press(
    update: Update, context: ContextTypes.DEFAULT_TYPE, too_old: str
) -> Press | None:
    """The press; None when the update carries no data, or when Telegram no longer hands over
    the message (too old: answered with `too_old`, a msgid for t.gettext)."""
    query = update.callback_query
    if query is None or query.data is None:
        return None
    t = await translator_for(update, context)
    if not isinstance(query.message, Message):
        await query.answer(t.gettext(too_old))
        return None
    return Press(query, query.data, query.message, t)


async def press_refused(context: ContextTypes.DEFAULT_TYPE, press: Press) -> bool:
    """Answer with the refusal (an alert) and return True when the presser may not change the
    chat."""
    refusal = await may_manage(context, press.message.chat, press.query.from_user, None)
    if refusal is None:
        return False
    await press.query.answer(press.t.gettext(refusal), show_alert=True)
    return True
