"""The command menus Telegram shows (setMyCommands): the menu for everyone, once per language
code (and once without one), and the admins' menu in each admin's private chat (a chat scope),
as is a private chat's own menu after /language. The menus themselves come from the command
table (bot.handlers.commands). A menu that cannot be set is logged, never fatal: the commands
work without it."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from telegram import Bot, BotCommandScopeChat
from telegram.error import TelegramError

log = logging.getLogger(__name__)

Menu = Sequence[tuple[str, str]]  # (command, description), in menu order


async def set_menus(
    bot: Bot, everyone: Mapping[str, Menu], admin_menus: Mapping[int, Menu]
) -> None:
    """`everyone`: language code ("" for users of any other language) -> menu."""
    for code, menu in everyone.items():
        try:
            await bot.set_my_commands(menu, language_code=code or None)
        except TelegramError as exc:
            log.warning("could not set the command menu (%s): %s", code or "default", exc.message)
            return
    for admin_id, menu in admin_menus.items():
        await set_admin_menu(bot, admin_id, menu)


async def set_admin_menu(bot: Bot, admin_id: int, menu: Menu) -> None:
    try:
        await bot.set_my_commands(menu, scope=BotCommandScopeChat(admin_id))
    except TelegramError as exc:
        # Telegram answers "chat not found" until the admin has written to the bot once; their
        # /start sets the menu then.
        log.warning("could not set the admin menu for user %d: %s", admin_id, exc.message)


async def set_chat_menu(bot: Bot, chat_id: int, menu: Menu) -> None:
    try:
        await bot.set_my_commands(menu, scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:
        log.warning("could not set the menu of chat %d: %s", chat_id, exc.message)
