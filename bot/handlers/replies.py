"""How the bot answers a command: straight away with the Bot API (never through the outbox,
where it would queue behind a fan-out), as Telegram HTML, without link previews, and without
the bidi controls a quoted name may carry (bot.formatting.cleaning)."""

from __future__ import annotations

import asyncio
import html
import logging

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, RetryAfter

from bot.formatting import strip_bidi_controls
from bot.rate_limit import retry_seconds

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# A reply that must wait longer than this for Telegram's flood limit is dropped: the user has
# moved on, and the handler must not hold up every other update meanwhile.
MAX_REPLY_WAIT = 5.0


async def reply(
    message: Message, text: str, *, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    text = strip_bidi_controls(text)
    for attempt in (1, 2):
        try:
            return await message.reply_text(
                text,
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                reply_markup=markup,
                # in a group the command may have been deleted by then
                allow_sending_without_reply=True,
            )
        except RetryAfter as exc:
            wait = retry_seconds(exc)
            if attempt == 2 or wait > MAX_REPLY_WAIT:
                log.warning("reply to chat %d dropped: flood limit (%g s)", message.chat_id, wait)
                return None
            await asyncio.sleep(wait)
    return None


async def edit(message: Message, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Edit a message of the bot's in place; an edit that changes nothing is not an error."""
    try:
        await message.edit_text(
            strip_bidi_controls(text),
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
            reply_markup=markup,
        )
    except BadRequest as exc:
        text = exc.message.casefold()
        if "message to edit not found" in text:
            # deleted meanwhile (by the user, or an admin in a group): nothing left to update
            log.info("message %d in chat %d is gone; not edited", message.id, message.chat_id)
        elif "not modified" not in text:
            raise


def escape(text: str) -> str:
    """User and article text inside Telegram HTML."""
    return html.escape(text, quote=False)
