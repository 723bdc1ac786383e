"""/stop: asks first. Two buttons: unfollow everything (what /stop always did), or the gentler
pause for a week, after which posts resume by themselves (fan-out skips a subscriber whose
paused_until is ahead). Callback data: "st:all" or "st:pause"."""

from __future__ import annotations

from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import ContextTypes

from bot.handlers.access import chat_command, command_message, may_manage, now
from bot.handlers.replies import edit, reply
from bot.handlers.targets import thread_of
from bot.services import services
from jobs import subscriptions

PAUSE = timedelta(days=7)
BUTTON_PATTERN = r"^st:(all|pause)$"
TEXTS = {
    "ask": (
        "Stop following every topic here? Or pause for a week instead: posts resume by "
        "themselves after it."
    ),
    "all": "🛑 Unfollow everything",
    "pause": "⏸ Pause for a week",
    "stopped": (
        "Done: this chat follows nothing now (topics dropped: {count}) and gets no more posts. "
        "/topics or /topic <code>name</code> to start again."
    ),
    "paused": (
        "⏸ Paused until {until} UTC: no posts until then, and they resume by themselves. "
        "Your topics stay as they are."
    ),
    "too_old": "This question is too old; send /stop again.",
}


def _markup() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(TEXTS["all"], callback_data="st:all"),
                InlineKeyboardButton(TEXTS["pause"], callback_data="st:pause"),
            ]
        ]
    )


@chat_command
async def stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = command_message(update)
    refusal = await may_manage(context, message.chat, message.from_user, message)
    if refusal is not None:
        await reply(message, refusal)
        return
    await reply(message, TEXTS["ask"], markup=_markup())


async def on_stop_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    if not isinstance(query.message, Message):
        await query.answer(TEXTS["too_old"])
        return
    message = query.message
    refusal = await may_manage(context, message.chat, query.from_user, None)
    if refusal is not None:
        await query.answer(refusal, show_alert=True)
        return
    uow = services(context.application).uow
    thread = thread_of(message)
    await query.answer()
    if query.data == "st:all":
        dropped = await subscriptions.stop(uow, message.chat.id, now(), thread)
        await edit(message, TEXTS["stopped"].format(count=dropped), None)
    else:
        until = now() + PAUSE
        await subscriptions.pause(uow, message.chat.id, until, now(), thread)
        await edit(message, TEXTS["paused"].format(until=until.strftime("%Y-%m-%d %H:%M")), None)
