"""The admins' commands: /publish, /preview, /pause, /resume (and /stats, in bot.handlers.stats).
Only the user ids in telegram.admins get here (bot.handlers.access.admin_command)."""

from __future__ import annotations

import logging
from datetime import datetime

from telegram import Update
from telegram.ext import ContextTypes

from bot.formatting import post_title
from bot.handlers.access import (
    admin_command,
    argument_text,
    command_message,
    now,
    translator_for,
)
from bot.handlers.replies import escape, reply
from bot.i18n import N_, Translator
from bot.services import services
from jobs import delivery
from jobs.article_lookup import article_by_link, story_others
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
    t = await translator_for(update, context)
    words = argument_text(message.text).split()
    if not words or len(words) > 2 or (len(words) == 2 and words[1].casefold() != "force"):
        await reply(
            message,
            t.gettext("Usage: /publish <code>url</code>, or /publish <code>url</code> force"),
        )
        return
    url, force = words[0], len(words) == 2
    svc = services(context.application)
    async with svc.run_lock:
        outcome = await publish_now(svc.uow, url, svc.channel_id, now(), force=force)
    if isinstance(outcome, Queued):
        svc.worker.wake()
    await reply(message, _published_text(t, outcome, url))


def _published_text(
    t: Translator,
    outcome: UnknownArticle | ChannelUnavailable | AlreadyPosted | Queued,
    url: str,
) -> str:
    match outcome:
        case UnknownArticle():
            return t.gettext(
                "No stored article has the address {url}; nothing was posted.", url=escape(url)
            )
        case ChannelUnavailable():
            return t.gettext(
                "The bot cannot post to the channel (it was removed or lost its rights); "
                "nothing was posted. Make it an admin of the channel again."
            )
        case AlreadyPosted(article, status, sent_at):
            title = escape(post_title(article))
            if status == DeliveryStatus.SENT and sent_at is not None:
                text = t.gettext(
                    "<b>{title}</b> was posted to the channel on {when}.",
                    title=title,
                    when=when(sent_at),
                )
            else:
                text = t.gettext(
                    "<b>{title}</b> is already queued for the channel and goes out shortly.",
                    title=title,
                )
            again = t.gettext("To post it again: /publish {url} force", url=escape(url))
            return f"{text}\n{again}"
        case Queued(article, to_channel, again_, subscribers):
            title = escape(post_title(article))
            if again_:
                channel = t.gettext("<b>{title}</b>: queued for the channel again", title=title)
            elif to_channel:
                channel = t.gettext("<b>{title}</b>: queued for the channel", title=title)
            else:
                channel = t.gettext(
                    "<b>{title}</b>: already on its way to the channel", title=title
                )
            chats = t.ngettext(
                "and for {n} subscriber chat.", "and for {n} subscriber chats.", subscribers
            )
            return f"{channel}, {chats}"


@admin_command
async def preview(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The post exactly as the delivery path would send it, to the admin's own chat only: no
    outbox row, nothing recorded as posted."""
    message = command_message(update)
    t = await translator_for(update, context)
    url = argument_text(message.text).split()
    if len(url) != 1:
        await reply(message, t.gettext("Usage: /preview <code>url</code>"))
        return
    svc = services(context.application)
    async with svc.uow() as tx:
        article = await article_by_link(tx, url[0])
        also = await story_others(tx, article) if article is not None else ()
    if article is None:
        await reply(
            message, t.gettext("No stored article has the address {url}.", url=escape(url[0]))
        )
        return
    assert message.from_user is not None  # admin_command checked the sender
    # The sender's own send(), not a copy of it: the preview falls back to text exactly as a
    # real post would when Telegram refuses the photo.
    outcome = await svc.sender.send(message.from_user.id, delivery.Outgoing(article, also))
    await reply(message, _preview_text(t, outcome, private=message.chat.type == "private"))


def _preview_text(t: Translator, outcome: delivery.SendOutcome, *, private: bool) -> str:
    match outcome:
        case delivery.Sent(_, note):
            if private:
                text = t.gettext("Preview above; nothing was posted.")
            else:
                text = t.gettext("Preview sent to your private chat; nothing was posted.")
            return f"{text} ({escape(note)})" if note else text
        case delivery.ChatGone() | delivery.ChatMoved():
            return t.gettext("I cannot write to you privately: start a chat with me first.")
        case delivery.Rejected(reason) | delivery.Transient(reason) | delivery.ThreadGone(reason):
            return t.gettext("Telegram refused the preview: {reason}", reason=escape(reason))
        case delivery.RetryAfter(seconds):
            return t.gettext(
                "Telegram asks me to wait {seconds} s; try again then.",
                seconds=format(seconds, "g"),
            )
        case delivery.TokenRejected():
            return t.gettext("Telegram refuses the bot's token; nothing was sent.")


async def _pause(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _switch(update, context, True, ("paused", "stays paused"), _PAUSED, _STAYS_PAUSED)


async def _resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _switch(update, context, False, ("resumed", "was running"), _RESUMED, _NOT_PAUSED)


# /pause and /resume are the channel's schedule; a subscriber who types them means their own
# posts, which /stop pauses (jobs.subscriptions.pause) and following a topic resumes.
pause = admin_command(
    _pause, N_("To pause this chat's posts for a week, send /stop and tap “⏸ Pause for a week”.")
)
resume = admin_command(
    _resume,
    N_("A pause from /stop ends by itself after a week, or at once with /topic <code>name</code>."),
)


_PAUSED = N_(
    "Scheduled publishing is paused (it stays so across restarts). "
    "/publish still works; /resume to restart."
)
_STAYS_PAUSED = N_(
    "Scheduled publishing was already paused (it stays so across restarts). "
    "/publish still works; /resume to restart."
)
_RESUMED = N_("Scheduled publishing is on again; the next run is at its usual time.")
_NOT_PAUSED = N_("Scheduled publishing was not paused.")


async def _switch(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    paused: bool,
    logged: tuple[str, str],
    changed_answer: str,
    unchanged_answer: str,
) -> None:
    """/pause and /resume: set the switch, log it (`logged`: as changed, as unchanged) and
    answer (msgids, translated here)."""
    t = await translator_for(update, context)
    changed = await set_paused(services(context.application).uow, paused)
    command = "/pause" if paused else "/resume"
    log.info("scheduled publishing %s by %s", logged[0] if changed else logged[1], command)
    await reply(command_message(update), t.gettext(changed_answer if changed else unchanged_answer))
