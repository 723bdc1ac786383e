"""The commands the bot answers, in one table: bot.handlers registers a handler for each row,
the menus (setMyCommands) and /help list the rows their reader may use.

Rule: everyone's menu and /help list the commands for everyone; a bot admin (telegram.admins)
also gets the admin commands, in the menu of their private chat and in /help sent there. Rows
are in menu order. Who may run a command is checked by its handler (bot.handlers.access).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from enum import Enum

from telegram import Bot, Update
from telegram.ext import ContextTypes

from bot.handlers import (
    admin,
    keyword_filters,
    menus,
    settings_menu,
    stats,
    stop,
    subscriptions,
    topic_menu,
)
from bot.handlers.access import (
    Handler,
    argument_text,
    chat_command,
    command_message,
    sender_is_bot_admin,
)
from bot.handlers.replies import reply

__all__ = ["ADMIN_COMMANDS", "COMMANDS", "USER_COMMANDS", "Command", "argument_text"]


class Audience(Enum):
    EVERYONE = "everyone"
    BOT_ADMINS = "bot admins"


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    audience: Audience
    usage: str  # as /help shows it
    description: str  # the menu's line: 1-256 characters
    handler: Handler


def commands_for(*, admin: bool) -> tuple[Command, ...]:
    return tuple(c for c in COMMANDS if admin or c.audience is Audience.EVERYONE)


def menu(*, admin: bool) -> list[tuple[str, str]]:
    return [(c.name, c.description) for c in commands_for(admin=admin)]


def help_text(*, admin: bool) -> str:
    """Telegram HTML: every command the sender may use."""
    lines = ["<b>Commands</b>"]
    lines += [_line(c) for c in USER_COMMANDS]
    if admin:
        lines += ["", "<b>Admin commands</b>"]
        lines += [_line(c) for c in ADMIN_COMMANDS]
    lines += [
        "",
        "Topic names are matched loosely: any case, with or without # and spaces "
        "(<code>computer vision</code>, <code>#ComputerVision</code>), by initials "
        "(<code>nlp</code>) or by the start of a name (<code>robot</code>).",
        "In a group only its admins can change what it follows; in a forum each thread "
        "follows its own topics.",
        "From a private chat, <code>@channel</code> before the rest manages a channel or "
        "group you administer (/topic <code>@mychannel ai</code>).",
    ]
    return "\n".join(lines)


def _line(command: Command) -> str:
    return f"{html.escape(command.usage)} — {html.escape(command.description)}"


async def set_command_menus(bot: Bot, admins: tuple[int, ...]) -> None:
    await menus.set_menus(bot, menu(admin=False), menu(admin=True), admins)


@chat_command
async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = command_message(update)
    admin = sender_is_bot_admin(update, context) and message.chat.type == "private"
    await reply(message, help_text(admin=admin))


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start as bot.handlers.subscriptions answers it; a plain /start from a bot admin in
    private also sets their menu, which Telegram refuses at start-up until they have written
    to the bot once."""
    await subscriptions.start(update, context)
    message = update.effective_message
    if (
        message is not None
        and message.chat.type == "private"
        and not argument_text(message.text)
        and sender_is_bot_admin(update, context)
    ):
        await menus.set_admin_menu(context.bot, message.chat_id, menu(admin=True))


_EVERYONE, _ADMINS = Audience.EVERYONE, Audience.BOT_ADMINS
COMMANDS = (
    Command("start", _EVERYONE, "/start", "what this bot does and how to follow topics", start),
    Command("help", _EVERYONE, "/help", "every command, one line each", help_command),
    Command(
        "topics",
        _EVERYONE,
        "/topics",
        "browse the topics; tap one to follow or unfollow it",
        topic_menu.topics,
    ),
    Command(
        "topic",
        _EVERYONE,
        "/topic [@channel] <name>",
        "follow a topic (several: separate with commas)",
        subscriptions.topic,
    ),
    Command(
        "untopic",
        _EVERYONE,
        "/untopic [@channel] <name>",
        "stop following a topic",
        subscriptions.untopic,
    ),
    Command(
        "mytopics",
        _EVERYONE,
        "/mytopics [@channel]",
        "the topics this chat follows, with links to share",
        subscriptions.mytopics,
    ),
    Command(
        "heat",
        _EVERYONE,
        "/heat [n]",
        "show this chat's minimum heat, or raise it to n",
        subscriptions.heat,
    ),
    Command(
        "settings",
        _EVERYONE,
        "/settings [@channel]",
        "silent, compact, link preview, minimum heat: tap to change",
        settings_menu.settings,
    ),
    Command(
        "filter",
        _EVERYONE,
        "/filter [+word | -word | clear]",
        "keep only posts with + words, drop posts with - words",
        keyword_filters.filter_command,
    ),
    Command(
        "stop", _EVERYONE, "/stop", "stop following every topic, or pause for a week", stop.stop
    ),
    Command(
        "publish", _ADMINS, "/publish <url> [force]", "post a stored article now", admin.publish
    ),
    Command(
        "preview",
        _ADMINS,
        "/preview <url>",
        "show me a post exactly as it would go out",
        admin.preview,
    ),
    Command(
        "stats",
        _ADMINS,
        "/stats",
        "figures: articles, posts, subscribers, deliveries",
        stats.stats,
    ),
    Command("pause", _ADMINS, "/pause", "pause scheduled publishing", admin.pause),
    Command("resume", _ADMINS, "/resume", "resume scheduled publishing", admin.resume),
)
USER_COMMANDS = tuple(c for c in COMMANDS if c.audience is Audience.EVERYONE)
ADMIN_COMMANDS = tuple(c for c in COMMANDS if c.audience is Audience.BOT_ADMINS)
