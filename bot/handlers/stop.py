"""/stop: asks first. Two buttons: unfollow everything (what /stop always did), or the gentler
pause for a week, after which posts resume by themselves (fan-out skips a subscriber whose
paused_until is ahead). Callback data: "st:all" or "st:pause"."""

from __future__ import annotations

from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.handlers.access import (
    button_press,
    chat_command,
    command_message,
    may_manage,
    now,
    press_refused,
    remember,
    translator_for,
)
from bot.handlers.replies import edit, reply
from bot.handlers.targets import thread_of
from bot.i18n import N_, Translator
from bot.services import services
from jobs import subscriptions

PAUSE = timedelta(days=7)
BUTTON_PATTERN = r"^st:(all|pause)$"


def _markup(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t.gettext("🛑 Unfollow everything"), callback_data="st:all"),
                InlineKeyboardButton(t.gettext("⏸ Pause for a week"), callback_data="st:pause"),
            ]
        ]
    )


@chat_command
async def stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = command_message(update)
    t = await translator_for(update, context)
    refusal = await may_manage(context, message.chat, message.from_user, message)
    if refusal is not None:
        await reply(message, t.gettext(refusal))
        return
    uow = services(context.application).uow
    if not await subscriptions.followed_topics(uow, message.chat_id, thread_of(message)):
        # nothing to stop or pause: asking would offer two buttons that change nothing
        await reply(message, t.gettext("This chat follows no topics yet. /topics to pick some."))
        return
    ask = t.gettext(
        "Stop following every topic here? Or pause for a week instead: posts resume by "
        "themselves after it."
    )
    await reply(message, ask, markup=_markup(t))


async def on_stop_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    press = await button_press(update, context, N_("This question is too old; send /stop again."))
    if press is None or await press_refused(context, press):
        return
    message, t = press.message, press.t
    uow = services(context.application).uow
    thread = thread_of(message)
    await remember(update, context, message.chat, thread)
    await press.query.answer()
    if press.data == "st:all":
        forum = bool(message.chat.is_forum)
        dropped = await subscriptions.stop(uow, message.chat.id, now(), thread, forum=forum)
        done = t.ngettext(
            "Done: this chat follows nothing now ({n} topic dropped) and gets no more posts. "
            "/topics or /topic <code>name</code> to start again.",
            "Done: this chat follows nothing now ({n} topics dropped) and gets no more posts. "
            "/topics or /topic <code>name</code> to start again.",
            dropped,
        )
        await edit(message, done, None)
    else:
        until = now() + PAUSE
        await subscriptions.pause(uow, message.chat.id, until, now(), thread)
        paused = t.gettext(
            "⏸ Paused until {until} UTC: no posts until then, and they resume by themselves. "
            "Your topics stay as they are.",
            until=until.strftime("%Y-%m-%d %H:%M"),
        )
        await edit(message, paused, None)
