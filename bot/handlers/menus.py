"""The command menus Telegram shows (setMyCommands): the user commands for everyone, and the
admin commands as well in each admin's private chat (a chat scope). A menu that cannot be set
is logged, never fatal: the commands work without it."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommandScopeChat
from telegram.error import TelegramError

from bot.handlers.commands import ADMIN_COMMANDS, USER_COMMANDS, Command

log = logging.getLogger(__name__)


def _menu(commands: tuple[Command, ...]) -> list[tuple[str, str]]:
    return [(c.name, c.description) for c in commands]


async def set_command_menus(bot: Bot, admins: tuple[int, ...]) -> None:
    try:
        await bot.set_my_commands(_menu(USER_COMMANDS))
    except TelegramError as exc:
        log.warning("could not set the command menu: %s", exc.message)
        return
    for admin_id in admins:
        await set_admin_menu(bot, admin_id)


async def set_admin_menu(bot: Bot, admin_id: int) -> None:
    try:
        await bot.set_my_commands(
            _menu((*USER_COMMANDS, *ADMIN_COMMANDS)), scope=BotCommandScopeChat(admin_id)
        )
    except TelegramError as exc:
        # Telegram answers "chat not found" until the admin has written to the bot once; their
        # /start sets the menu then.
        log.warning("could not set the admin menu for user %d: %s", admin_id, exc.message)
