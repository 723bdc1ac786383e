"""How the bot answers a command: straight away with the Bot API (never through the outbox,
where it would queue behind a fan-out), as Telegram HTML, without link previews, without
the bidi controls a quoted name may carry (bot.formatting.cleaning), and always within
Telegram's lengths: a reply Telegram refuses leaves the user with nothing."""

from __future__ import annotations

import asyncio
import html
import logging

import regex
from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter

from bot.formatting import TEXT_LIMIT, strip_bidi_controls, utf16_len
from bot.rate_limit import retry_seconds

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# A reply that must wait longer than this for Telegram's flood limit is dropped: the user has
# moved on, and the handler must not hold up every other update meanwhile.
MAX_REPLY_WAIT = 5.0
ANSWER_LIMIT = 200  # answerCallbackQuery text
# What a reply quotes back of the user's own words (and of a topic name): enough to recognise
# it, short enough that a pasted essay cannot crowd out the answer.
QUOTE_LIMIT = 80
_ELLIPSIS = "…"
# A tag, an entity, or one user-perceived character (an extended grapheme cluster: an emoji
# sequence, a flag, a letter with its accents), so a cut never splits any of them.
_HTML_TOKEN = regex.compile(r"<[^<>]*>|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z]+);|\X")
_GRAPHEME = regex.compile(r"\X")
_TAG = regex.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^<>]*>")
_TRAILING_OPEN_TAGS = regex.compile(r"(?:<[A-Za-z][^<>]*>)+$")


async def reply(
    message: Message, text: str, *, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    text = strip_bidi_controls(text)
    for attempt in (1, 2):
        try:
            return await message.reply_text(
                fit(text),
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
        except (Forbidden, BadRequest) as exc:
            # The chat will not take it (the bot was blocked or muted, the forum topic is
            # closed): one line, not a traceback; my_chat_member says when the bot is gone.
            log.warning("reply to chat %d refused: %s", message.chat_id, exc.message)
            return None
    return None


async def edit(message: Message, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Edit a message of the bot's in place; an edit that changes nothing is not an error."""
    try:
        await message.edit_text(
            fit(strip_bidi_controls(text)),
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


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """User text (or a topic name) shown inside a reply: cut to `limit`, then escaped."""
    return escape(fit(text, limit, parse_html=False))


def fit(text: str, limit: int = TEXT_LIMIT, *, parse_html: bool = True) -> str:
    """`text` within `limit` UTF-16 units as Telegram counts them (after entity parsing: a tag
    costs nothing, an entity one character), else cut between two characters with "…" and the
    tags left open closed again. The one place every reply is held to Telegram's limits.

    Written here because bot.formatting cuts plain text before it is escaped, and a reply is
    HTML by the time it is sent; the regex module finds the grapheme clusters."""
    if utf16_len(text) <= limit:  # markup only adds units: nothing to count
        return text
    budget = limit - utf16_len(_ELLIPSIS)
    used, end = 0, 0  # end: where the text is cut if it turns out not to fit
    for token in (_HTML_TOKEN if parse_html else _GRAPHEME).finditer(text):
        piece = token.group()
        if not (parse_html and piece.startswith("<")):
            used += utf16_len(html.unescape(piece) if parse_html else piece)
            if used > limit:
                break
        if used <= budget:
            end = token.end()
    else:
        return text  # all of it fits once the markup is not counted
    head = text[:end]
    if not parse_html:
        return head.rstrip() + _ELLIPSIS
    # tags opened at the very end, with nothing inside them yet, go; the rest are closed
    head = _TRAILING_OPEN_TAGS.sub("", head).rstrip()
    return head + _ELLIPSIS + "".join(f"</{name}>" for name in reversed(_open_tags(head)))


def _open_tags(head: str) -> list[str]:
    open_tags: list[str] = []
    for tag in _TAG.finditer(head):
        closing, name = tag.group(1), tag.group(2).casefold()
        if not closing:
            open_tags.append(name)
        elif name in open_tags:
            del open_tags[len(open_tags) - 1 - open_tags[::-1].index(name)]
    return open_tags
