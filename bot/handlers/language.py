"""/language: the chat's language, chosen with buttons (the message is edited in place, in the
language just chosen) and kept per chat. In a group only its admins may change it; a private
chat's new language also becomes its command menu (bot.handlers.commands.on_language_button)."""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import ContextTypes

from bot.handlers.access import (
    chat_command,
    command_message,
    may_manage,
    now,
    remember,
    translator_for,
)
from bot.handlers.replies import edit, reply
from bot.i18n import LANGUAGE_NAMES, LANGUAGES, Translator, translator
from bot.services import services

BUTTON_PATTERN = r"^lang:[A-Za-z_]{2,16}$"
_CHOICE = re.compile(r"^lang:([A-Za-z_]{2,16})$")
CHOSEN_MARK = "✅"


def language_buttons(current: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    f"{CHOSEN_MARK} {LANGUAGE_NAMES[code]}"
                    if code == current
                    else LANGUAGE_NAMES[code],
                    callback_data=f"lang:{code}",
                )
            ]
            for code in LANGUAGES
        ]
    )


def language_text(t: Translator) -> str:
    return t.gettext(
        "This chat's language: <b>{language}</b>. Tap another to change it.",
        language=LANGUAGE_NAMES[t.language],
    )


@chat_command
async def language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = command_message(update)
    t = await translator_for(update, context)
    await reply(message, language_text(t), markup=language_buttons(t.language))


async def choose(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Translator | None:
    """A language button: store the choice and show it, in place. Returns the new language's
    Translator, or None when nothing changed (an old list, a refusal)."""
    query = update.callback_query
    if query is None or query.data is None:
        return None
    chosen = _CHOICE.match(query.data)
    t = await translator_for(update, context)
    if chosen is None or chosen[1] not in LANGUAGES or not isinstance(query.message, Message):
        await query.answer(t.gettext("This list is too old; send /language again."))
        return None
    message = query.message
    refusal = await may_manage(context, message.chat, query.from_user, None)
    if refusal is not None:
        await query.answer(t.gettext(refusal), show_alert=True)
        return None
    await remember(update, context, message.chat)
    code = chosen[1]
    async with services(context.application).uow() as tx:
        await tx.chats.set_language(message.chat.id, code, now())
    new = translator(code)
    await query.answer()
    await edit(message, language_text(new), language_buttons(code))
    return new
