"""The python-telegram-bot side of delivery: renders a post, sends it, and translates every
Telegram answer into a jobs.delivery outcome."""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram._utils.types import ODVInput
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
from telegram.request import BaseRequest

from bot.formatting import Post, render_post, render_text_post
from bot.lean_send import PreparedCall, prepare_call, send_for_id
from bot.rate_limit import broadcast_send, retry_seconds
from jobs import delivery
from storage.records import Article

log = logging.getLogger(__name__)

# Telegram fetches a photo URL itself before answering; that can take a while.
PHOTO_READ_TIMEOUT = 30.0
_CHAT_GONE = ("chat not found", "user is deactivated", "bot was kicked", "have no rights")


def _keyboard(post: Post) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(post.button_text, url=post.link)]])


class TelegramSender:
    """Implements jobs.delivery.Sender."""

    def __init__(self, bot: Bot, *, paid_broadcast: bool = False) -> None:
        self._bot = bot
        self._paid = paid_broadcast
        self._posts: OrderedDict[tuple[int, object], tuple[Post, Post]] = OrderedDict()
        self._calls: OrderedDict[Post, PreparedCall] = OrderedDict()  # encoded once per post

    def _render(self, article: Article) -> tuple[Post, Post]:
        # A fan-out sends one article to many chats: render it once.
        key = (article.id, article.updated_at)
        posts = self._posts.get(key)
        if posts is None:
            posts = (render_post(article), render_text_post(article))
            self._posts[key] = posts
            if len(self._posts) > 256:
                self._posts.popitem(last=False)
        return posts

    def api_call(self, post: Post) -> tuple[str, dict[str, Any], ODVInput[float]]:
        """The Bot API method, its parameters but chat_id, and its read timeout for the post."""
        data: dict[str, Any] = {
            "parse_mode": ParseMode.HTML,
            "reply_markup": _keyboard(post),
            "allow_paid_broadcast": True if self._paid else None,
        }
        if post.photo_url:
            data.update(photo=post.photo_url, caption=post.html)
            return "sendPhoto", data, PHOTO_READ_TIMEOUT
        data.update(
            text=post.html,
            link_preview_options=LinkPreviewOptions(
                url=post.preview_url or post.link, prefer_large_media=True
            ),
        )
        return "sendMessage", data, BaseRequest.DEFAULT_NONE

    async def send_post(self, chat_id: int | str, post: Post) -> int:
        """Sends the post; returns its message_id (bot.lean_send: no Message is built)."""
        call = self._calls.get(post)
        if call is None:
            call = self._calls[post] = prepare_call(*self.api_call(post))
            if len(self._calls) > 512:
                self._calls.popitem(last=False)
        return await send_for_id(self._bot, call, chat_id)

    async def send(self, chat_id: int, article: Article) -> delivery.SendOutcome:
        with broadcast_send():
            return await self._send(chat_id, article)

    async def _send(self, chat_id: int, article: Article) -> delivery.SendOutcome:
        post, text_post = self._render(article)
        try:
            try:
                return delivery.Sent(await self.send_post(chat_id, post))
            except BadRequest as exc:
                if post.photo_url is None or _is_chat_gone(exc):
                    raise
                # Telegram refused the photo (bad URL, too big, wrong type, cached failure):
                # the post still goes out, as text with a large link preview.
                message_id = await self.send_post(chat_id, text_post)
                return delivery.Sent(message_id, f"photo refused ({exc.message}), sent as text")
        except RetryAfter as exc:
            return delivery.RetryAfter(retry_seconds(exc))
        except ChatMigrated as exc:
            return delivery.ChatMoved(exc.new_chat_id)
        except Forbidden as exc:
            return delivery.ChatGone(exc.message)
        except BadRequest as exc:  # before NetworkError: BadRequest is one of its subclasses
            if _is_chat_gone(exc):
                return delivery.ChatGone(exc.message)
            return delivery.Rejected(exc.message)
        except TimedOut as exc:
            return delivery.Transient(f"timed out: {exc.message}", maybe_delivered=True)
        except NetworkError as exc:
            return delivery.Transient(f"network error: {exc.message}")
        except TelegramError as exc:
            return delivery.Transient(f"Telegram error: {exc.message}")


def _is_chat_gone(exc: TelegramError) -> bool:
    text = exc.message.casefold()
    return any(marker in text for marker in _CHAT_GONE)
