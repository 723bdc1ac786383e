"""my_chat_member: Telegram tells the bot when it is blocked, removed, or added somewhere; and
the service messages of a group that became a supergroup.
Blocked or removed: the chat turns inactive and its queued posts are cancelled; added (or
unblocked): the chat is known and active again, and a group just joined is greeted once (the
move from absent to present: a promotion to admin is no second hello)."""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import ChatMember, ChatMemberAdministrator, ChatMemberRestricted, Update
from telegram.constants import ChatMemberStatus
from telegram.ext import ContextTypes

from bot.alerts import check_health
from bot.handlers.access import app_language_of, now, translator_for
from bot.handlers.welcome import greet_group
from bot.services import services
from jobs.channel_recovery import channel_back
from jobs.subscriptions import forget_chat, migrate_chat, remember_chat
from storage.records import ChatKind

log = logging.getLogger(__name__)

_PRESENT = frozenset(
    {ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}
)
_GONE = frozenset({ChatMemberStatus.LEFT, ChatMemberStatus.BANNED})


async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    change = update.my_chat_member
    if change is None:
        return
    chat, status = change.chat, change.new_chat_member.status
    svc = services(context.application)
    uow = svc.uow
    if status in _GONE:
        reason = (
            "bot was blocked by the user"
            if chat.type == "private"
            else f"bot was removed from the {chat.type}"
        )
        log.info("chat %d: %s; deactivated", chat.id, reason)
        await forget_chat(uow, chat.id, reason, now())
    elif chat.id == svc.channel_id and not _may_post(change.new_chat_member):
        log.warning("channel %d: the bot may no longer post there; deactivated", chat.id)
        await forget_chat(uow, chat.id, "no right to post in the channel", now())
    elif status in _PRESENT:
        title = chat.title or chat.full_name or chat.username
        log.info("chat %d (%s): the bot is %s there", chat.id, chat.type, status)
        if chat.id == svc.channel_id:  # it may post there (above): what its loss cancelled goes
            window = timedelta(hours=svc.config.publish.story_window_hours)
            if await channel_back(uow, chat.id, now(), window):
                svc.worker.wake()
        app_language = app_language_of(update)
        await remember_chat(
            uow, chat.id, ChatKind(chat.type), title, now(), app_language=app_language
        )
        if not _was_present(change.old_chat_member):
            await greet_group(chat, context, await translator_for(update, context))
    if chat.id == svc.channel_id:
        await check_health(svc)  # the operator hears of it now, not next run


def _was_present(member: ChatMember) -> bool:
    """In the chat before the change: a restricted (muted) bot still a member was, so being
    let speak again is no joining to say hello for."""
    if isinstance(member, ChatMemberRestricted):
        return member.is_member
    return member.status in _PRESENT


def _may_post(member: ChatMember) -> bool:
    if member.status == ChatMemberStatus.OWNER:
        return True
    return isinstance(member, ChatMemberAdministrator) and bool(member.can_post_messages)


async def on_migration(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup: Telegram says so in both, migrate_to_chat_id in the old
    group and migrate_from_chat_id in the new supergroup."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    log.info("chat %d became supergroup %d: its topics, settings and queued posts move", old, new)
    await migrate_chat(services(context.application).uow, old, new, now())
