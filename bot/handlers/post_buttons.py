"""The "🔕 Unfollow <topic>" button under a post in a private chat (bot.unfollow_buttons): one
tap unfollows and turns the button into an undo; "🔕 Topics…" sends the chat's topic list."""

from __future__ import annotations

from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.handlers import topic_menu
from bot.handlers.access import now, remember, translator_for
from bot.handlers.replies import ANSWER_LIMIT, fit
from bot.i18n import Translator, translator
from bot.sender import markup
from bot.services import services
from bot.unfollow_buttons import Button, parse, toggled
from jobs.subscriptions import toggle

PATTERN = r"^(uf:\d+|ur:\d+|ul)$"


def _row(message: Message) -> list[Button]:
    keyboard = message.reply_markup.inline_keyboard if message.reply_markup else ()
    return [
        Button(
            b.text,
            url=b.url,
            callback_data=b.callback_data if isinstance(b.callback_data, str) else None,
        )
        for row in keyboard[:1]
        for b in row
    ]


async def on_post_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.data is None or not isinstance(query.message, Message):
        if query is not None:
            await query.answer()
        return
    message = query.message
    if message.chat.type != "private":
        await query.answer()
        return
    await remember(update, context, message.chat)
    t = await translator_for(update, context)
    if query.data == "ul":
        await query.answer()
        await topic_menu.send_topic_list(context, message, t)
        return
    parsed = parse(query.data)
    if parsed is None:
        await query.answer()
        return
    action, topic_id = parsed
    uow = services(context.application).uow
    changed = await toggle(uow, message.chat.id, topic_id, now(), follow=action == "ur")
    if changed is None:
        await query.answer(t.gettext("That topic is gone."))
        return
    name, _ = changed
    answer = (
        t.gettext("Stopped following {topic}. Tap ↩️ to undo.", topic=name)
        if action == "uf"
        else t.gettext("Following {topic} again.", topic=name)
    )
    await query.answer(fit(answer, ANSWER_LIMIT, parse_html=False))
    words = await _post_words(context, message.chat.id)
    try:
        await message.edit_reply_markup(
            markup(toggled(_row(message), action, topic_id, name, words))
        )
    except BadRequest as exc:
        if "not modified" not in exc.message.casefold():
            raise


async def _post_words(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> Translator:
    """The language of the row the button sits in, as bot.sender worded it (the chat's
    reader_language, as stored now, else telegram.language), or one tap could leave two
    languages side by side under the post."""
    svc = services(context.application)
    async with svc.uow() as tx:
        chat = await tx.chats.chat(chat_id)
    return translator(chat.reader_language if chat else None, svc.config.telegram.language)
