"""What a chat follows: /start (with a deep link), /topic, /untopic, /mytopics and /heat
(/stop is bot.handlers.stop). Thin: parse, call jobs.subscriptions, answer."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers.access import argument_text, chat_command, command_message, may_manage, now
from bot.handlers.replies import escape, quote, reply
from bot.handlers.targets import split_target, target_for, thread_of
from bot.services import services
from jobs import subscriptions
from jobs.subscriptions import TopicChanges
from jobs.topic_matching import MAX_QUERIES, Ambiguous, NoMatch, split_queries, topic_slug

log = logging.getLogger(__name__)


MAX_NAMES = 30  # per list in an answer: a message has 4096 characters
MAX_UNRESOLVED = 10
MAX_HEAT = 100_000  # far above any article (the corpus tops out near 300)


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(f"<b>{quote(n)}</b>" for n in names[:MAX_NAMES])
    return shown + (f" and {len(names) - MAX_NAMES} more" if len(names) > MAX_NAMES else "")


def _too_many(text: str, command: str) -> str | None:
    """The answer to a command naming more topics than one message may, or None."""
    count = len(split_queries(text))
    if count <= MAX_QUERIES:
        return None
    return (
        f"That is {count} names; /{command} takes at most {MAX_QUERIES} at a time. "
        "Nothing changed: send them in smaller groups."
    )


async def _refused(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Reply with the refusal and return True when the sender may not change this chat."""
    message = command_message(update)
    refusal = await may_manage(context, message.chat, message.from_user, message)
    if refusal is not None:
        await reply(message, refusal)
        return True
    return False


@chat_command
async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = command_message(update)
    svc = services(context.application)
    slug = argument_text(message.text)
    if slug:
        if await _refused(update, context):
            return
        changes = await subscriptions.follow_slug(svc.uow, message.chat_id, slug.split()[0], now())
        if changes is None:
            await reply(message, "That link names a topic I don't know. /topics lists them all.")
        else:
            await reply(message, _followed_text(changes) + "\n\n/mytopics shows what you follow.")
        return
    channel = svc.config.telegram.channel
    where = f" in {escape(channel)}" if isinstance(channel, str) else ""
    await reply(
        message,
        f"Hi! I post the day's hottest AI news{where}, and I can send the posts about the topics "
        "you choose right here.\n\n"
        "• /topics — browse the topics and tap to follow\n"
        "• /topic <code>computer vision</code> — follow one by name\n"
        "• /mytopics — what this chat follows\n"
        "• /help — every command",
    )


@chat_command
async def topic(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = command_message(update)
    text = argument_text(message.text)
    if not text:
        await reply(
            message,
            "Which topic? For example: /topic <code>computer vision</code> or "
            "/topic <code>nlp, robotics</code>. /topics lists them all.",
        )
        return
    if (too_many := _too_many(split_target(text)[1], "topic")) is not None:
        await reply(message, too_many)
        return
    found = await target_for(context, message, text, change=True)
    if found is None:
        return
    target, text = found
    changes = await subscriptions.follow(
        services(context.application).uow, target.chat_id, text, now(), target.thread_id
    )
    await reply(message, _followed_text(changes))


@chat_command
async def untopic(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = command_message(update)
    text = argument_text(message.text)
    if not text:
        await reply(
            message, "Which topic? For example: /untopic <code>ai</code>. /mytopics lists yours."
        )
        return
    if (too_many := _too_many(split_target(text)[1], "untopic")) is not None:
        await reply(message, too_many)
        return
    found = await target_for(context, message, text, change=True)
    if found is None:
        return
    target, text = found
    changes = await subscriptions.unfollow(
        services(context.application).uow, target.chat_id, text, now(), target.thread_id
    )
    lines = []
    if changes.changed:
        lines.append(f"Stopped following {_names(changes.changed)}.")
    lines += _unresolved_lines(changes, among="the topics this chat follows")
    await reply(message, "\n".join(lines) or "Nothing changed.")


@chat_command
async def mytopics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = command_message(update)
    text = argument_text(message.text)
    found = await target_for(context, message, text, change=split_target(text)[0] is not None)
    if found is None:
        return
    target, _ = found
    followed = await subscriptions.followed_topics(
        services(context.application).uow, target.chat_id, target.thread_id
    )
    where = escape(target.name) if target.name else "This chat"
    if not followed:
        await reply(message, f"{where} follows no topics yet. /topics to pick some.")
        return
    username = context.bot.username
    lines = [f"{where} follows {len(followed)} topic{'s' if len(followed) != 1 else ''}:"]
    for t in followed[:MAX_NAMES]:
        link = f"https://t.me/{username}?start={topic_slug(t.name)}"
        lines.append(f"• <b>{quote(t.name)}</b> — share: {escape(link)}")
    if len(followed) > MAX_NAMES:
        lines.append(f"• … and {len(followed) - MAX_NAMES} more")
    lines.append("\n/untopic <code>name</code> to stop one, /stop to stop all.")
    await reply(message, "\n".join(lines))


@chat_command
async def heat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = command_message(update)
    svc = services(context.application)
    floor = svc.config.publish.min_heat
    text = argument_text(message.text)
    thread = thread_of(message)
    if not text:
        own = await subscriptions.chat_min_heat(svc.uow, message.chat_id, thread)
        await reply(message, _heat_text(own, floor) + "\nChange it with /heat <code>n</code>.")
        return
    try:
        value = int(text.split()[0])
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_HEAT:
        await reply(message, "Give a whole number, for example /heat <code>150</code>.")
        return
    if await _refused(update, context):
        return
    stored = await subscriptions.set_chat_min_heat(
        svc.uow, message.chat_id, value, floor, now(), thread
    )
    if stored is None and value < floor:
        note = f"It cannot go below the bot's minimum ({floor:g}), so that is what applies.\n"
    else:
        note = ""
    await reply(message, note + _heat_text(stored, floor))


def _heat_text(own: int | None, floor: float) -> str:
    if own is None:
        return f"This chat gets the posts of its topics with heat ≥ {floor:g} (the bot's minimum)."
    return (
        f"This chat gets the posts of its topics with heat ≥ {own} "
        f"(the bot's minimum is {floor:g})."
    )


def _followed_text(changes: TopicChanges) -> str:
    lines = []
    if changes.changed:
        lines.append(f"✅ Now following {_names(changes.changed)}.")
    if changes.unchanged:
        lines.append(f"Already following {_names(changes.unchanged)}.")
    lines += _unresolved_lines(changes, among="the topics")
    return "\n".join(lines) or "Nothing changed."


def _unresolved_lines(changes: TopicChanges, *, among: str) -> list[str]:
    lines = []
    for item in changes.unresolved[:MAX_UNRESOLVED]:
        query = f"“{quote(item.query)}”"
        if isinstance(item, Ambiguous):
            lines.append(
                f"{query} fits several: {_names(item.candidates)}. Which one? "
                "Type more of the name."
            )
        elif isinstance(item, NoMatch) and item.suggestions:
            lines.append(f"{query}: no such topic. Did you mean {_names(item.suggestions)}?")
        else:
            lines.append(f"{query} matches none of {among}. /topics lists them all.")
    if len(changes.unresolved) > MAX_UNRESOLVED:
        lines.append(f"… and {len(changes.unresolved) - MAX_UNRESOLVED} more names not found.")
    return lines
