"""What a chat follows: /topic, /untopic, /mytopics and /heat (and a deep link's topic, for
bot.handlers.welcome; /stop is bot.handlers.stop). Thin: parse, call jobs.subscriptions, answer
in the chat's language."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers.access import (
    argument_text,
    chat_command,
    command_message,
    may_manage,
    now,
    translator_for,
)
from bot.handlers.replies import escape, quote, reply
from bot.handlers.targets import split_target, target_for, thread_of
from bot.i18n import N_, Translator
from bot.services import services
from jobs import subscriptions
from jobs.subscriptions import TopicChanges
from jobs.topic_matching import MAX_QUERIES, Ambiguous, NoMatch, split_queries, topic_slug
from storage.unit_of_work import UowFactory

log = logging.getLogger(__name__)


MAX_NAMES = 30  # per list in an answer: a message has 4096 characters
MAX_UNRESOLVED = 10
RESUMED = N_("▶️ The pause is over: posts come again.")
MAX_HEAT = 100_000  # far above any article (the corpus tops out near 300)


def names_text(t: Translator, names: Sequence[str]) -> str:
    shown = ", ".join(f"<b>{quote(n)}</b>" for n in names[:MAX_NAMES])
    if len(names) <= MAX_NAMES:
        return shown
    extra = len(names) - MAX_NAMES
    return t.ngettext("{names} and {n} more", "{names} and {n} more", extra, names=shown)


def _too_many(t: Translator, text: str, command: str) -> str | None:
    """The answer to a command naming more topics than one message may, or None."""
    count = len(split_queries(text))
    if count <= MAX_QUERIES:
        return None
    return t.ngettext(
        "That is {n} name; /{command} takes at most {limit} at a time. "
        "Nothing changed: send them in smaller groups.",
        "That is {n} names; /{command} takes at most {limit} at a time. "
        "Nothing changed: send them in smaller groups.",
        count,
        command=command,
        limit=MAX_QUERIES,
    )


async def refused(update: Update, context: ContextTypes.DEFAULT_TYPE, t: Translator) -> bool:
    """Reply with the refusal and return True when the sender may not change this chat."""
    message = command_message(update)
    refusal = await may_manage(context, message.chat, message.from_user, message)
    if refusal is not None:
        await reply(message, t.gettext(refusal))
        return True
    return False


ChangeTopics = Callable[[UowFactory, int, str, datetime, int], Awaitable[TopicChanges]]


async def _change_topics(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    command: str,
    usage: Callable[[Translator], str],
    change: ChangeTopics,
    answer: Callable[[Translator, TopicChanges], str],
) -> None:
    """/topic and /untopic: the subscriber and the topic names given, `change` applied to them,
    `answer` sent. No names: `usage`; too many, or not the sender's to change: the refusal."""
    message = command_message(update)
    t = await translator_for(update, context)
    text = argument_text(message.text)
    if not text:
        await reply(message, usage(t))
        return
    if (too_many := _too_many(t, split_target(text)[1], command)) is not None:
        await reply(message, too_many)
        return
    found = await target_for(context, message, text, t, change=True)
    if found is None:
        return
    target, names = found
    if not names.strip():  # "/topic @mychannel": whose, but not which
        await reply(message, usage(t))
        return
    uow = services(context.application).uow
    changes = await change(uow, target.chat_id, names, now(), target.thread_id)
    await reply(message, answer(t, changes))


@chat_command
async def topic(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _change_topics(
        update, context, "topic", _topic_usage, subscriptions.follow, followed_text
    )


@chat_command
async def untopic(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _change_topics(
        update, context, "untopic", _untopic_usage, subscriptions.unfollow, _unfollowed_text
    )


def _topic_usage(t: Translator) -> str:
    return t.gettext(
        "Which topic? For example: /topic <code>computer vision</code> or "
        "/topic <code>nlp, robotics</code>. /topics lists them all."
    )


def _untopic_usage(t: Translator) -> str:
    return t.gettext("Which topic? For example: /untopic <code>ai</code>. /mytopics lists yours.")


def _unfollowed_text(t: Translator, changes: TopicChanges) -> str:
    lines = []
    if changes.changed:
        lines.append(t.gettext("Stopped following {names}.", names=names_text(t, changes.changed)))
    lines += _unresolved_lines(t, changes, followed_only=True)
    return "\n".join(lines) or t.gettext("Nothing changed.")


@chat_command
async def mytopics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = command_message(update)
    t = await translator_for(update, context)
    text = argument_text(message.text)
    found = await target_for(context, message, text, t, change=split_target(text)[0] is not None)
    if found is None:
        return
    target, _ = found
    followed = await subscriptions.followed_topics(
        services(context.application).uow, target.chat_id, target.thread_id
    )
    where = escape(target.name) if target.name else None
    n = len(followed)
    if not followed:
        none = (
            t.gettext("{name} follows no topics yet. /topics to pick some.", name=where)
            if where
            else t.gettext("This chat follows no topics yet. /topics to pick some.")
        )
        await reply(message, none)
        return
    username = context.bot.username
    lines = [
        t.ngettext("{name} follows {n} topic:", "{name} follows {n} topics:", n, name=where)
        if where
        else t.ngettext("This chat follows {n} topic:", "This chat follows {n} topics:", n)
    ]
    for item in followed[:MAX_NAMES]:
        link = f"https://t.me/{username}?start={topic_slug(item.name)}"
        lines.append(
            t.gettext("• <b>{name}</b> — share: {link}", name=quote(item.name), link=escape(link))
        )
    if len(followed) > MAX_NAMES:
        extra = len(followed) - MAX_NAMES
        lines.append(t.ngettext("• … and {n} more", "• … and {n} more", extra))
    lines.append("")
    lines.append(t.gettext("/untopic <code>name</code> to stop one, /stop to stop all."))
    await reply(message, "\n".join(lines))


@chat_command
async def heat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = command_message(update)
    t = await translator_for(update, context)
    svc = services(context.application)
    floor = svc.config.publish.min_heat
    text = argument_text(message.text)
    thread = thread_of(message)
    if not text:
        own = await subscriptions.chat_min_heat(svc.uow, message.chat_id, thread)
        change = t.gettext("Change it with /heat <code>n</code>.")
        await reply(message, f"{_heat_text(t, own, floor)}\n{change}")
        return
    try:
        value = int(text.split()[0])
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_HEAT:
        await reply(
            message,
            t.gettext(
                "Give a whole number from 0 to {most}, for example /heat <code>150</code>.",
                most=MAX_HEAT,
            ),
        )
        return
    if await refused(update, context, t):
        return
    stored = await subscriptions.set_chat_min_heat(
        svc.uow, message.chat_id, value, floor, now(), thread
    )
    lines = []
    if stored is None and value < floor:
        lines.append(
            t.gettext(
                "It cannot go below the bot's minimum ({floor}), so that is what applies.",
                floor=format(floor, "g"),
            )
        )
    lines.append(_heat_text(t, stored, floor))
    await reply(message, "\n".join(lines))


def _heat_text(t: Translator, own: int | None, floor: float) -> str:
    if own is None:
        return t.gettext(
            "This chat gets the posts of its topics with heat ≥ {floor} (the bot's minimum).",
            floor=format(floor, "g"),
        )
    return t.gettext(
        "This chat gets the posts of its topics with heat ≥ {own} (the bot's minimum is {floor}).",
        own=own,
        floor=format(floor, "g"),
    )


def followed_text(t: Translator, changes: TopicChanges) -> str:
    lines = []
    if changes.changed:
        lines.append(t.gettext("✅ Now following {names}.", names=names_text(t, changes.changed)))
    if changes.unchanged:
        lines.append(
            t.gettext("Already following {names}.", names=names_text(t, changes.unchanged))
        )
    lines += _unresolved_lines(t, changes, followed_only=False)
    if changes.resumed:
        lines.append(t.gettext(RESUMED))
    return "\n".join(lines) or t.gettext("Nothing changed.")


def _unresolved_lines(t: Translator, changes: TopicChanges, *, followed_only: bool) -> list[str]:
    lines = []
    for item in changes.unresolved[:MAX_UNRESOLVED]:
        query = quote(item.query)
        if isinstance(item, Ambiguous):
            lines.append(
                t.gettext(
                    "“{query}” fits several: {names}. Which one? Type more of the name.",
                    query=query,
                    names=names_text(t, item.candidates),
                )
            )
        elif isinstance(item, NoMatch) and item.suggestions:
            lines.append(
                t.gettext(
                    "“{query}”: no such topic. Did you mean {names}?",
                    query=query,
                    names=names_text(t, item.suggestions),
                )
            )
        elif followed_only:
            lines.append(
                t.gettext(
                    "“{query}” matches none of the topics this chat follows. "
                    "/topics lists them all.",
                    query=query,
                )
            )
        else:
            lines.append(
                t.gettext(
                    "“{query}” matches none of the topics. /topics lists them all.", query=query
                )
            )
    if len(changes.unresolved) > MAX_UNRESOLVED:
        extra = len(changes.unresolved) - MAX_UNRESOLVED
        lines.append(
            t.ngettext("… and {n} more name not found.", "… and {n} more names not found.", extra)
        )
    return lines
