"""The Telegram side of the bot: command, button and membership handlers, registered here (the
commands from their table, bot.handlers.commands).

Commands fire only on new messages: an edited message never runs a command again (PTB's
CommandHandler would otherwise also take edits), and a forwarded command is someone else's
words, not the forwarder's command."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.handlers import (
    language,
    post_buttons,
    settings_menu,
    stop,
    topic_menu,
    unknown,
    welcome,
)
from bot.handlers.access import Handler, translator_for
from bot.handlers.commands import COMMANDS, on_language_button
from bot.handlers.membership import on_migration, on_my_chat_member

CALLBACKS: dict[str, Handler] = {c.name: c.handler for c in COMMANDS}

NEW_MESSAGES_ONLY = filters.UpdateType.MESSAGE & ~filters.FORWARDED

log = logging.getLogger(__name__)


async def on_stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A press whose data no handler knows (an old keyboard, forged data): answered all the
    same, or the user's button spins until Telegram gives up."""
    query = update.callback_query
    if query is None:
        return
    try:
        t = await translator_for(update, context)
        await query.answer(t.gettext("This button is no longer valid."))
    except BadRequest as exc:  # the query is too old to answer
        log.info("could not answer button press %s: %s", query.id, exc.message)


def register_handlers(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    for command in COMMANDS:
        application.add_handler(
            CommandHandler(command.name, command.handler, filters=NEW_MESSAGES_ONLY)
        )
    # In the commands' group and after them: only what none of them took reaches these.
    application.add_handler(
        MessageHandler(filters.COMMAND & NEW_MESSAGES_ONLY, unknown.on_unknown_command)
    )
    application.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND & NEW_MESSAGES_ONLY,
            unknown.on_private_text,
        )
    )
    application.add_handler(
        CallbackQueryHandler(topic_menu.on_topic_button, pattern=topic_menu.BUTTON_PATTERN)
    )
    application.add_handler(CallbackQueryHandler(stop.on_stop_button, pattern=stop.BUTTON_PATTERN))
    application.add_handler(
        CallbackQueryHandler(post_buttons.on_post_button, pattern=post_buttons.PATTERN)
    )
    application.add_handler(
        CallbackQueryHandler(settings_menu.on_settings_button, pattern=settings_menu.BUTTON_PATTERN)
    )
    application.add_handler(
        CallbackQueryHandler(welcome.on_start_button, pattern=welcome.BUTTON_PATTERN)
    )
    application.add_handler(
        CallbackQueryHandler(on_language_button, pattern=language.BUTTON_PATTERN)
    )
    application.add_handler(CallbackQueryHandler(on_stale_button))  # after every other one
    application.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migration))
