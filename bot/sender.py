"""The python-telegram-bot side of delivery: renders a post (or takes an alert's text), sends
it, and translates every Telegram answer into a jobs.delivery outcome.

A 400 is the chat's problem (gone, or no right to post there: "need administrator rights in
the channel chat", "not enough rights") or the message's; only a refusal of the message's photo
makes a post go out again as text (bad_request_kind, table-tested)."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable
from typing import Literal

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.formatting import Post, PostWords, render_post, render_text_post
from bot.i18n import DEFAULT_LANGUAGE, Translator, translator
from bot.rate_limit import broadcast_send, retry_seconds
from jobs import delivery
from storage.records import Article

log = logging.getLogger(__name__)

# Telegram fetches a photo URL itself before answering; that can take a while.
PHOTO_READ_TIMEOUT = 30.0
_CHAT_GONE = ("chat not found", "user is deactivated", "bot was kicked")
# Telegram's words when the bot may not post in the chat (a channel that took its admin rights
# away, a group that muted it): a permission problem, never a refused photo.
_NO_RIGHTS = (
    "have no rights",
    "need administrator rights",
    "not enough rights",
    "chat_write_forbidden",
    "chat_admin_required",
)


def post_words(t: Translator) -> PostWords:
    return PostWords(
        read=t.gettext("Read"),
        watch=t.gettext("Watch"),
        also=t.gettext("Also"),
        untitled=t.gettext("Article"),
    )


def _keyboard(post: Post) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(post.button_text, url=post.link)]])


class TelegramSender:
    """Implements jobs.delivery.Sender."""

    def __init__(
        self, bot: Bot, *, paid_broadcast: bool = False, language: str = DEFAULT_LANGUAGE
    ) -> None:
        self._bot = bot
        self._paid = paid_broadcast
        # Posts read alike wherever they go: their words follow telegram.language.
        self._words = post_words(translator(language))
        self._posts: OrderedDict[tuple[int, object], tuple[Post, Post]] = OrderedDict()

    def _render(self, article: Article) -> tuple[Post, Post]:
        # A fan-out sends one article to many chats: render it once.
        key = (article.id, article.updated_at)
        posts = self._posts.get(key)
        if posts is None:
            posts = (render_post(article, self._words), render_text_post(article, self._words))
            self._posts[key] = posts
            if len(self._posts) > 256:
                self._posts.popitem(last=False)
        return posts

    async def send_post(self, chat_id: int | str, post: Post) -> Message:
        paid = True if self._paid else None
        if post.photo_url:
            return await self._bot.send_photo(
                chat_id,
                post.photo_url,
                caption=post.html,
                parse_mode=ParseMode.HTML,
                reply_markup=_keyboard(post),
                read_timeout=PHOTO_READ_TIMEOUT,
                allow_paid_broadcast=paid,
            )
        return await self._bot.send_message(
            chat_id,
            post.html,
            parse_mode=ParseMode.HTML,
            reply_markup=_keyboard(post),
            link_preview_options=LinkPreviewOptions(
                url=post.preview_url or post.link, prefer_large_media=True
            ),
            allow_paid_broadcast=paid,
        )

    async def send(self, chat_id: int, article: Article) -> delivery.SendOutcome:
        with broadcast_send():
            post, text_post = self._render(article)
            return await _outcome(self._send_with_fallback(chat_id, post, text_post))

    async def send_text(self, chat_id: int, html: str) -> delivery.SendOutcome:
        with broadcast_send():
            return await _outcome(
                self._bot.send_message(
                    chat_id,
                    html,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                )
            )

    async def _send_with_fallback(self, chat_id: int, post: Post, text_post: Post) -> delivery.Sent:
        try:
            message = await self.send_post(chat_id, post)
            return delivery.Sent(message.message_id)
        except BadRequest as exc:
            if post.photo_url is None or bad_request_kind(exc.message) != "message":
                raise
            # Telegram refused the photo (bad URL, too big, wrong type, cached failure):
            # the post still goes out, as text with a large link preview.
            message = await self.send_post(chat_id, text_post)
            return delivery.Sent(message.message_id, f"photo refused ({exc.message}), sent as text")


def bad_request_kind(text: str) -> Literal["gone", "no rights", "message"]:
    """Whose problem a 400 is: the chat's (gone, or the bot may not post there) or this
    message's. Pure."""
    folded = text.casefold()
    if any(marker in folded for marker in _CHAT_GONE):
        return "gone"
    if any(marker in folded for marker in _NO_RIGHTS):
        return "no rights"
    return "message"


async def _outcome(sending: Awaitable[Message | delivery.Sent]) -> delivery.SendOutcome:
    """Telegram's answer to one send, as the delivery outcome it comes to."""
    try:
        sent = await sending
        return sent if isinstance(sent, delivery.Sent) else delivery.Sent(sent.message_id)
    except RetryAfter as exc:
        return delivery.RetryAfter(retry_seconds(exc))
    except ChatMigrated as exc:
        return delivery.ChatMoved(exc.new_chat_id)
    except Forbidden as exc:
        return delivery.ChatGone(exc.message)
    except BadRequest as exc:  # before NetworkError: BadRequest is one of its subclasses
        if bad_request_kind(exc.message) == "message":
            return delivery.Rejected(exc.message)
        return delivery.ChatGone(exc.message)  # gone, or no right to post: the chat's problem
    except TimedOut as exc:
        return delivery.Transient(f"timed out: {exc.message}", maybe_delivered=True)
    except NetworkError as exc:
        return delivery.Transient(f"network error: {exc.message}")
    except TelegramError as exc:
        return delivery.Transient(f"Telegram error: {exc.message}")
