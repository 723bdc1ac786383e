"""The admins' commands: /publish, /preview, /pause, /resume (and /stats, in bot.handlers.stats).
Only the user ids in telegram.admins get here (bot.handlers.access.admin_command)."""

from __future__ import annotations

import logging
from datetime import datetime

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers.access import admin_command, argument_text, command_message, now
from bot.handlers.replies import escape, reply
from bot.services import services
from jobs import delivery
from jobs.ingest.urls import normalise_url
from jobs.publishing import (
    AlreadyPosted,
    ChannelUnavailable,
    Queued,
    UnknownArticle,
    publish_now,
    set_paused,
)
from storage.records import DeliveryStatus

log = logging.getLogger(__name__)


def when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


@admin_command
async def publish(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = command_message(update)
    words = argument_text(message.text).split()
    if not words or len(words) > 2 or (len(words) == 2 and words[1].casefold() != "force"):
        await reply(message, "Usage: /publish <code>url</code>, or /publish <code>url</code> force")
        return
    url, force = words[0], len(words) == 2
    svc = services(context.application)
    async with svc.run_lock:
        outcome = await publish_now(svc.uow, url, svc.channel_id, now(), force=force)
    match outcome:
        case UnknownArticle():
            text = f"No stored article has the address {escape(url)}; nothing was posted."
        case ChannelUnavailable():
            text = (
                "The bot cannot post to the channel (it was removed or lost its rights); "
                "nothing was posted. Make it an admin of the channel again."
            )
        case AlreadyPosted(article, status, sent_at):
            title = f"<b>{escape(article.title)}</b>"
            if status == DeliveryStatus.SENT and sent_at is not None:
                text = f"{title} was posted to the channel on {when(sent_at)}."
            else:
                text = f"{title} is already queued for the channel and goes out shortly."
            text += f"\nTo post it again: /publish {escape(url)} force"
        case Queued(article, to_channel, again, subscribers):
            svc.worker.wake()
            title = f"<b>{escape(article.title)}</b>"
            if again:
                channel = "queued for the channel again"
            elif to_channel:
                channel = "queued for the channel"
            else:
                channel = "already on its way to the channel"
            text = f"{title}: {channel}, and for {subscribers} subscriber chat(s)."
    await reply(message, text)


@admin_command
async def preview(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The post exactly as the delivery path would send it, to the admin's own chat only: no
    outbox row, nothing recorded as posted."""
    message = command_message(update)
    url = argument_text(message.text).split()
    if len(url) != 1:
        await reply(message, "Usage: /preview <code>url</code>")
        return
    svc = services(context.application)
    key = normalise_url(url[0])
    async with svc.uow() as tx:
        article = await tx.articles.article_by_url(key) if key else None
    if article is None:
        await reply(message, f"No stored article has the address {escape(url[0])}.")
        return
    assert message.from_user is not None  # admin_command checked the sender
    # The sender's own send(), not a copy of it: the preview falls back to text exactly as a
    # real post would when Telegram refuses the photo.
    outcome = await svc.sender.send(message.from_user.id, article)
    match outcome:
        case delivery.Sent(_, note):
            where = "above" if message.chat.type == "private" else "sent to your private chat"
            extra = f" ({escape(note)})" if note else ""
            await reply(message, f"Preview {where}{extra}; nothing was posted.")
        case delivery.ChatGone() | delivery.ChatMoved():
            await reply(message, "I cannot write to you privately: start a chat with me first.")
        case delivery.Rejected(reason) | delivery.Transient(reason):
            await reply(message, f"Telegram refused the preview: {escape(reason)}")
        case delivery.RetryAfter(seconds):
            await reply(message, f"Telegram asks me to wait {seconds:g} s; try again then.")


@admin_command
async def pause(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    changed = await set_paused(services(context.application).uow, True)
    log.info("scheduled publishing %s by /pause", "paused" if changed else "stays paused")
    await reply(
        command_message(update),
        ("Scheduled publishing is paused" if changed else "Scheduled publishing was already paused")
        + " (it stays so across restarts). /publish still works; /resume to restart.",
    )


@admin_command
async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    changed = await set_paused(services(context.application).uow, False)
    log.info("scheduled publishing %s by /resume", "resumed" if changed else "was running")
    await reply(
        command_message(update),
        "Scheduled publishing is on again; the next run is at its usual time."
        if changed
        else "Scheduled publishing was not paused.",
    )
