"""The command menus Telegram shows (setMyCommands): one menu for everyone, and the admins' menu
in each admin's private chat (a chat scope). The menus themselves come from the command table
(bot.handlers.commands). A menu that cannot be set is logged, never fatal: the commands work
without it."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import Bot, BotCommandScopeChat
from telegram.error import TelegramError

log = logging.getLogger(__name__)

Menu = Sequence[tuple[str, str]]  # (command, description), in menu order


async def set_menus(bot: Bot, everyone: Menu, admins_menu: Menu, admins: tuple[int, ...]) -> None:
    try:
        await bot.set_my_commands(everyone)
    except TelegramError as exc:
        log.warning("could not set the command menu: %s", exc.message)
        return
    for admin_id in admins:
        await set_admin_menu(bot, admin_id, admins_menu)


async def set_admin_menu(bot: Bot, admin_id: int, menu: Menu) -> None:
    try:
        await bot.set_my_commands(menu, scope=BotCommandScopeChat(admin_id))
    except TelegramError as exc:
        # Telegram answers "chat not found" until the admin has written to the bot once; their
        # /start sets the menu then.
        log.warning("could not set the admin menu for user %d: %s", admin_id, exc.message)
