"""/topics: every topic with its article count, this chat's own marked, as pages of inline
buttons that follow or unfollow with one tap (the message is edited in place).

Callback data stays far below Telegram's 64 bytes by carrying ids, never names:
"t:<topic id>:<page>" toggles a topic, "p:<page>" turns the page."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import ContextTypes

from bot.formatting import strip_bidi_controls
from bot.handlers.access import (
    button_press,
    chat_command,
    command_message,
    now,
    press_refused,
    remember,
    translator_for,
)
from bot.handlers.replies import ANSWER_LIMIT, edit, fit, reply
from bot.handlers.targets import thread_of
from bot.i18n import N_, Translator
from bot.services import services
from jobs.subscriptions import catalogue, toggle
from storage.records import TopicSummary

PAGE_SIZE = 8  # buttons per page: a phone screen shows them without scrolling
LABEL_CHARS = 40
FOLLOWED_MARK = "✅"
BUTTON_PATTERN = r"^(t:\d+:\d+|p:\d+)$"
_TOGGLE = re.compile(r"^t:(\d+):(\d+)$")
_PAGE = re.compile(r"^p:(\d+)$")


@dataclass(frozen=True, slots=True)
class TopicPage:
    html: str
    buttons: list[list[tuple[str, str]]]  # rows of (label, callback data)
    page: int  # clamped to the pages there are
    pages: int


def topic_page(
    t: Translator, topics: Sequence[TopicSummary], followed: Collection[int], page: int
) -> TopicPage:
    """One page of the topic list, as text and buttons. Pure."""
    if not topics:
        return TopicPage(
            t.gettext("No topics yet: they come from the articles the bot reads. Try again later."),
            [],
            0,
            1,
        )
    pages = (len(topics) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 0), pages - 1)
    shown = topics[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    rows = [[(_label(t, t.id in followed), f"t:{t.id}:{page}")] for t in shown]
    turns = []
    if page > 0:
        turns.append((t.gettext("« Previous"), f"p:{page - 1}"))
    if page < pages - 1:
        turns.append((t.gettext("Next »"), f"p:{page + 1}"))
    if turns:
        rows.append(turns)
    count = sum(1 for t in topics if t.id in followed)
    lines = [
        t.gettext(
            "<b>Topics</b> — tap one to follow it, tap again to stop. "
            "{mark} marks the ones this chat follows ({count}); "
            "the number is how many articles carry the topic.",
            mark=FOLLOWED_MARK,
            count=count,
        )
    ]
    if pages > 1:
        lines.append(t.gettext("Page {page} of {pages}.", page=page + 1, pages=pages))
    return TopicPage("\n".join(lines), rows, page, pages)


def _label(topic: TopicSummary, followed: bool) -> str:
    name = strip_bidi_controls(topic.name)
    name = name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…"
    mark = f"{FOLLOWED_MARK} " if followed else ""
    return f"{mark}{name} · {topic.articles}"


def _markup(page: TopicPage) -> InlineKeyboardMarkup | None:
    if not page.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in page.buttons
        ]
    )


@chat_command
async def topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = command_message(update)
    await send_topic_list(context, message, await translator_for(update, context))


async def send_topic_list(
    context: ContextTypes.DEFAULT_TYPE, message: Message, t: Translator
) -> None:
    """The first page of the list, for the chat (or forum thread) `message` is in."""
    uow = services(context.application).uow
    listed, followed = await catalogue(uow, message.chat_id, thread_of(message))
    page = topic_page(t, listed, followed, 0)
    await reply(message, page.html, markup=_markup(page))


async def show_page(
    message: Message, context: ContextTypes.DEFAULT_TYPE, t: Translator, page_number: int
) -> None:
    """Turn a message of the bot's into a page of the list, in place."""
    uow = services(context.application).uow
    listed, followed = await catalogue(uow, message.chat.id, thread_of(message))
    page = topic_page(t, listed, followed, page_number)
    await edit(message, page.html, _markup(page))


async def on_topic_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    press = await button_press(update, context, N_("This list is too old; send /topics again."))
    if press is None:
        return
    query, message, t = press.query, press.message, press.t
    uow = services(context.application).uow
    answer = None
    if toggled := _TOGGLE.match(press.data):
        topic_id, page_number = int(toggled[1]), int(toggled[2])
        if await press_refused(context, press):
            return
        await remember(update, context, message.chat, thread_of(message))
        changed = await toggle(uow, message.chat.id, topic_id, now(), thread_of(message))
        if changed is None:
            answer = t.gettext("That topic is gone.")
        else:
            name, following = changed
            answer = (
                t.gettext("Following {name}", name=name)
                if following
                else t.gettext("Stopped following {name}", name=name)
            )
    elif paged := _PAGE.match(press.data):
        page_number = int(paged[1])
    else:
        await query.answer()
        return
    await query.answer(_short(answer) if answer else None)
    await show_page(message, context, t, page_number)


def _short(text: str) -> str:
    # answerCallbackQuery takes at most 200 characters; topic names can be long
    return fit(strip_bidi_controls(text), ANSWER_LIMIT, parse_html=False)
