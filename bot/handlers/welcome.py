"""First contact: /start (two lines and three buttons, or a deep link's topic), its "Browse
topics" button (the /topics list, in place), and the hello said once when the bot is added to
a group."""

from __future__ import annotations

import logging

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.handlers import topic_menu
from bot.handlers.access import (
    argument_text,
    chat_command,
    command_message,
    now,
    remember,
    translator_for,
)
from bot.handlers.replies import NO_PREVIEW, escape, fit, quote, reply
from bot.handlers.subscriptions import RESUMED, followed_text, refused
from bot.handlers.targets import thread_of
from bot.i18n import Translator
from bot.services import Services, services
from jobs import subscriptions

log = logging.getLogger(__name__)

BROWSE = "w:topics"
BUTTON_PATTERN = rf"^{BROWSE}$"
_GROUPS = frozenset({"group", "supergroup"})


def welcome_text(t: Translator, channel: str) -> str:
    return "\n".join(
        [
            t.gettext(
                "Hi! I post the day's hottest AI news in {channel}, and I can send you the posts "
                "on the topics you choose.",
                channel=escape(channel),
            ),
            t.gettext(
                "Tap <b>Browse topics</b>, or send /topic <code>computer vision</code>. "
                "/help lists every command."
            ),
        ]
    )


def welcome_buttons(
    t: Translator, channel_url: str | None, bot_username: str, chat_type: str
) -> InlineKeyboardMarkup:
    rows = [[InlineKeyboardButton(t.gettext("Browse topics"), callback_data=BROWSE)]]
    if channel_url:
        rows.append([InlineKeyboardButton(t.gettext("Open the channel"), url=channel_url)])
    if chat_type == "private":
        add = f"https://t.me/{bot_username}?startgroup=start"
        rows.append([InlineKeyboardButton(t.gettext("Add to a group"), url=add)])
    return InlineKeyboardMarkup(rows)


@chat_command
async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = command_message(update)
    svc = services(context.application)
    t = await translator_for(update, context)
    slug = argument_text(message.text).split()
    if slug == ["start"] and message.chat_id in svc.greeted:
        return  # the "Add to a group" link's own /start, just after the group's greeting
    if slug and slug[0] != "start":  # "start": the "Add to a group" link's own payload
        if await refused(update, context, t):
            return
        changes = await subscriptions.follow_slug(
            svc.uow, message.chat_id, slug[0], now(), thread_of(message)
        )
        if changes is not None:
            more = t.gettext("/mytopics shows what you follow.")
            await reply(message, f"{followed_text(t, changes)}\n\n{more}")
            return
        unknown = t.gettext("The link names a topic I don't know ({topic}).", topic=quote(slug[0]))
        await _welcome(message, svc, t, context.bot.username, unknown)
        return
    # In a group anyone may send /start; only its admins may end its pause (with /topic).
    private = message.chat.type == "private"
    resumed = private and await subscriptions.resume(svc.uow, message.chat_id, now())
    await _welcome(message, svc, t, context.bot.username, t.gettext(RESUMED) if resumed else None)


async def _welcome(
    message: Message, svc: Services, t: Translator, username: str, note: str | None = None
) -> None:
    text = welcome_text(t, svc.channel_name)
    buttons = welcome_buttons(t, svc.channel_url, username, message.chat.type)
    await reply(message, f"{note}\n\n{text}" if note else text, markup=buttons)


async def on_start_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """ "Browse topics": the welcome becomes the /topics list."""
    query = update.callback_query
    if query is None:
        return
    t = await translator_for(update, context)
    if not isinstance(query.message, Message):
        await query.answer(t.gettext("This list is too old; send /topics again."))
        return
    await remember(update, context, query.message.chat)
    await query.answer()
    await topic_menu.show_page(query.message, context, t, 0)


def greeting_text(t: Translator, channel: str) -> str:
    return "\n".join(
        [
            t.gettext(
                "Hello! I post the day's hottest AI news in {channel}.", channel=escape(channel)
            ),
            t.gettext(
                "This group can get the posts on the topics it follows: its admins choose them "
                "with /topics or /topic <code>name</code>. /help lists every command."
            ),
        ]
    )


async def greet_group(chat: Chat, context: ContextTypes.DEFAULT_TYPE, t: Translator) -> None:
    """Said once, when the bot joins a group (bot.handlers.membership)."""
    svc = services(context.application)
    if chat.type not in _GROUPS:
        return
    try:
        await context.bot.send_message(
            chat.id,
            fit(greeting_text(t, svc.channel_name)),
            reply_markup=welcome_buttons(t, svc.channel_url, context.bot.username, chat.type),
            link_preview_options=NO_PREVIEW,
        )
        svc.greeted[chat.id] = True
    except TelegramError as exc:  # e.g. a group where members may not send messages
        log.warning("could not greet chat %d: %s", chat.id, exc.message)
