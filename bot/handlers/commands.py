"""The commands the bot answers, in one table: bot.handlers registers a handler for each row,
the menus (setMyCommands) and /help list the rows their reader may use, in their language.

Rule: everyone's menu and /help list the commands for everyone; a bot admin (telegram.admins)
also gets the admin commands, in the menu of their private chat and in /help sent there. Rows
are in menu order; their usage and description are catalogue messages (bot.i18n), translated
where they are shown. The menu for everyone is set once per catalogue language (Telegram shows
each user the one for their app's language) and once without a language (in
telegram.language) for everyone else. Who may run a command is checked by its handler
(bot.handlers.access)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from enum import Enum

from telegram import Bot, Update
from telegram.ext import ContextTypes

from bot.handlers import (
    admin,
    digest,
    keyword_filters,
    language,
    menus,
    settings_menu,
    stats,
    stop,
    subscriptions,
    topic_menu,
    welcome,
)
from bot.handlers.access import (
    Handler,
    argument_text,
    chat_command,
    command_message,
    sender_is_bot_admin,
    translator_for,
)
from bot.handlers.replies import reply
from bot.i18n import LANGUAGES, N_, Translator, translator
from bot.services import Services

__all__ = ["ADMIN_COMMANDS", "COMMANDS", "USER_COMMANDS", "Command", "argument_text"]


class Audience(Enum):
    EVERYONE = "everyone"
    BOT_ADMINS = "bot admins"


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    audience: Audience
    arguments: str  # after the command in /help: "" or a catalogue message, e.g. "<name>"
    description: str  # the menu's line: 1-256 characters (a catalogue message)
    handler: Handler


def commands_for(*, admin: bool) -> tuple[Command, ...]:
    return tuple(c for c in COMMANDS if admin or c.audience is Audience.EVERYONE)


def menu(t: Translator, *, admin: bool) -> list[tuple[str, str]]:
    return [(c.name, t.gettext(c.description)) for c in commands_for(admin=admin)]


def help_text(t: Translator, *, admin: bool) -> str:
    """Telegram HTML: every command the sender may use."""
    lines = [t.gettext("<b>Commands</b>")]
    lines += [_line(t, c) for c in USER_COMMANDS]
    if admin:
        lines += ["", t.gettext("<b>Admin commands</b>")]
        lines += [_line(t, c) for c in ADMIN_COMMANDS]
    lines += [
        "",
        t.gettext(
            "Heat (🔥 in each post) is how much attention a story is getting, as its news source "
            "scores it: the higher, the hotter."
        ),
        t.gettext(
            "Topic names are matched loosely: any case, with or without # and spaces "
            "(<code>computer vision</code>, <code>#ComputerVision</code>), by initials "
            "(<code>nlp</code>) or by the start of a name (<code>robot</code>)."
        ),
        t.gettext(
            "In a group only its admins can change what it follows; in a forum each thread "
            "follows its own topics."
        ),
        t.gettext(
            "From a private chat, <code>@channel</code> before the rest manages a channel or "
            "group you administer (/topic <code>@mychannel ai</code>)."
        ),
    ]
    return "\n".join(lines)


def _line(t: Translator, command: Command) -> str:
    usage = (
        f"/{command.name} {t.gettext(command.arguments)}"
        if command.arguments
        else f"/{command.name}"
    )
    return f"{html.escape(usage)} — {html.escape(t.gettext(command.description))}"


async def set_command_menus(bot: Bot, svc: Services) -> None:
    """At start: the menu for everyone in each language, and each admin's own menu in the
    language of their chat (its reader_language)."""
    default = translator(svc.config.telegram.language)
    everyone = {"": menu(default, admin=False)}
    for code in LANGUAGES:
        t = translator(code)
        everyone[t.telegram_code] = menu(t, admin=False)
    admins = svc.config.telegram.admins
    async with svc.uow() as tx:
        chats = {admin_id: await tx.chats.chat(admin_id) for admin_id in admins}
    admin_menus = {
        admin_id: menu(
            translator(chat.reader_language if chat else None, default.language), admin=True
        )
        for admin_id, chat in chats.items()
    }
    await menus.set_menus(bot, everyone, admin_menus)


async def set_private_menu(
    update: Update, context: ContextTypes.DEFAULT_TYPE, t: Translator
) -> None:
    """A private chat's own menu, in `t`'s language: the admin menu for a bot admin."""
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        return
    if sender_is_bot_admin(update, context):
        await menus.set_admin_menu(context.bot, chat.id, menu(t, admin=True))
    else:
        await menus.set_chat_menu(context.bot, chat.id, menu(t, admin=False))


@chat_command
async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = command_message(update)
    t = await translator_for(update, context)
    admin = sender_is_bot_admin(update, context) and message.chat.type == "private"
    await reply(message, help_text(t, admin=admin))


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start as bot.handlers.welcome answers it; a plain /start from a bot admin in private
    also sets their menu, which Telegram refuses at start-up until they have written to the bot
    once."""
    await welcome.start(update, context)
    message = update.effective_message
    if (
        message is not None
        and message.chat.type == "private"
        and not argument_text(message.text)
        and sender_is_bot_admin(update, context)
    ):
        await set_private_menu(update, context, await translator_for(update, context))


async def on_language_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A /language button: the chat's language changes, and so does a private chat's menu."""
    chosen = await language.choose(update, context)
    if chosen is not None:
        await set_private_menu(update, context, chosen)


_EVERYONE, _ADMINS = Audience.EVERYONE, Audience.BOT_ADMINS
COMMANDS = (
    Command("start", _EVERYONE, "", N_("what this bot does and how to follow topics"), start),
    Command("help", _EVERYONE, "", N_("every command, one line each"), help_command),
    Command(
        "topics",
        _EVERYONE,
        "",
        N_("browse the topics; tap one to follow or unfollow it"),
        topic_menu.topics,
    ),
    Command(
        "topic",
        _EVERYONE,
        N_("[@channel] <name>"),
        N_("follow a topic (several: separate with commas)"),
        subscriptions.topic,
    ),
    Command(
        "untopic",
        _EVERYONE,
        N_("[@channel] <name>"),
        N_("stop following a topic"),
        subscriptions.untopic,
    ),
    Command(
        "mytopics",
        _EVERYONE,
        N_("[@channel]"),
        N_("the topics this chat follows, with links to share"),
        subscriptions.mytopics,
    ),
    Command(
        "heat",
        _EVERYONE,
        N_("[n]"),
        N_("show this chat's minimum heat, or raise it to n"),
        subscriptions.heat,
    ),
    Command(
        "settings",
        _EVERYONE,
        N_("[@channel]"),
        N_("silent, compact, link preview, minimum heat, digest, language: tap to change"),
        settings_menu.settings,
    ),
    Command(
        "filter",
        _EVERYONE,
        N_("[+word | -word | clear]"),
        N_("keep only posts with + words, drop posts with - words"),
        keyword_filters.filter_command,
    ),
    Command(
        "digest",
        _EVERYONE,
        N_("[hourly | daily 08:00 | off]"),
        N_("one message an hour or a day instead of each post"),
        digest.digest,
    ),
    Command(
        "timezone",
        _EVERYONE,
        N_("[city | Region/City]"),
        N_("the time zone of this chat's daily digest"),
        digest.timezone,
    ),
    Command(
        "language",
        _EVERYONE,
        "",
        N_("choose the language of this chat"),
        language.language,
    ),
    Command(
        "stop", _EVERYONE, "", N_("stop following every topic, or pause for a week"), stop.stop
    ),
    Command(
        "publish",
        _ADMINS,
        N_("<url> [force]"),
        N_("post a stored article now"),
        admin.publish,
    ),
    Command(
        "preview",
        _ADMINS,
        N_("<url>"),
        N_("show me a post exactly as it would go out"),
        admin.preview,
    ),
    Command(
        "stats",
        _ADMINS,
        "",
        N_("health and figures: channel, sources, posts, subscribers, deliveries"),
        stats.stats,
    ),
    Command("pause", _ADMINS, "", N_("pause scheduled publishing"), admin.pause),
    Command("resume", _ADMINS, "", N_("resume scheduled publishing"), admin.resume),
)
USER_COMMANDS = tuple(c for c in COMMANDS if c.audience is Audience.EVERYONE)
ADMIN_COMMANDS = tuple(c for c in COMMANDS if c.audience is Audience.BOT_ADMINS)
