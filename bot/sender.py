"""The python-telegram-bot side of delivery: renders a post, sends it, and translates every
Telegram answer into a jobs.delivery outcome."""

from __future__ import annotations

import logging
from collections import OrderedDict

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

from bot.formatting import Post, render_post, render_text_post
from bot.rate_limit import broadcast_send, retry_seconds
from bot.unfollow_buttons import Button, post_buttons
from jobs import delivery
from jobs.delivery.outcomes import DEFAULT_OPTIONS, SendOptions
from storage.records import Article

log = logging.getLogger(__name__)

# Telegram fetches a photo URL itself before answering; that can take a while.
PHOTO_READ_TIMEOUT = 30.0
_CHAT_GONE = ("chat not found", "user is deactivated", "bot was kicked", "have no rights")
# A forum thread closed or deleted: the thread is gone, the chat is not.
_THREAD_GONE = ("topic_closed", "topic_deleted", "message thread not found", "thread not found")


def markup(row: list[Button]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, url=b.url, callback_data=b.callback_data) for b in row]]
    )


def _keyboard(post: Post, options: SendOptions = DEFAULT_OPTIONS) -> InlineKeyboardMarkup:
    return markup(post_buttons(post.button_text, post.link, options.unfollow))


class TelegramSender:
    """Implements jobs.delivery.Sender."""

    def __init__(self, bot: Bot, *, paid_broadcast: bool = False) -> None:
        self._bot = bot
        self._paid = paid_broadcast
        self._posts: OrderedDict[tuple[int, object, bool], tuple[Post, Post]] = OrderedDict()

    def _render(self, article: Article, compact: bool = False) -> tuple[Post, Post]:
        # A fan-out sends one article to many chats: render it once.
        key = (article.id, article.updated_at, compact)
        posts = self._posts.get(key)
        if posts is None:
            posts = (
                render_post(article, compact=compact),
                render_text_post(article, compact=compact),
            )
            self._posts[key] = posts
            if len(self._posts) > 256:
                self._posts.popitem(last=False)
        return posts

    async def send_post(
        self, chat_id: int | str, post: Post, options: SendOptions = DEFAULT_OPTIONS
    ) -> Message:
        paid = True if self._paid else None
        thread = options.thread_id or None
        silent = True if options.silent else None
        if post.photo_url:
            return await self._bot.send_photo(
                chat_id,
                post.photo_url,
                caption=post.html,
                parse_mode=ParseMode.HTML,
                reply_markup=_keyboard(post, options),
                read_timeout=PHOTO_READ_TIMEOUT,
                allow_paid_broadcast=paid,
                message_thread_id=thread,
                disable_notification=silent,
            )
        preview = (
            LinkPreviewOptions(url=post.preview_url or post.link, prefer_large_media=True)
            if options.link_preview
            else LinkPreviewOptions(is_disabled=True)
        )
        return await self._bot.send_message(
            chat_id,
            post.html,
            parse_mode=ParseMode.HTML,
            reply_markup=_keyboard(post, options),
            link_preview_options=preview,
            allow_paid_broadcast=paid,
            message_thread_id=thread,
            disable_notification=silent,
        )

    async def send(
        self, chat_id: int, article: Article, options: SendOptions = DEFAULT_OPTIONS
    ) -> delivery.SendOutcome:
        with broadcast_send():
            return await self._send(chat_id, article, options)

    async def _send(
        self, chat_id: int, article: Article, options: SendOptions
    ) -> delivery.SendOutcome:
        post, text_post = self._render(article, options.compact)
        try:
            try:
                message = await self.send_post(chat_id, post, options)
                return delivery.Sent(message.message_id)
            except BadRequest as exc:
                if post.photo_url is None or _is_chat_gone(exc) or _is_thread_gone(exc):
                    raise
                # Telegram refused the photo (bad URL, too big, wrong type, cached failure):
                # the post still goes out, as text with a large link preview.
                message = await self.send_post(chat_id, text_post, options)
                return delivery.Sent(
                    message.message_id, f"photo refused ({exc.message}), sent as text"
                )
        except RetryAfter as exc:
            return delivery.RetryAfter(retry_seconds(exc))
        except ChatMigrated as exc:
            return delivery.ChatMoved(exc.new_chat_id)
        except Forbidden as exc:
            return delivery.ChatGone(exc.message)
        except BadRequest as exc:  # before NetworkError: BadRequest is one of its subclasses
            if options.thread_id and _is_thread_gone(exc):
                return delivery.ThreadGone(exc.message)
            if _is_chat_gone(exc):
                return delivery.ChatGone(exc.message)
            return delivery.Rejected(exc.message)
        except TimedOut as exc:
            return delivery.Transient(f"timed out: {exc.message}", maybe_delivered=True)
        except NetworkError as exc:
            return delivery.Transient(f"network error: {exc.message}")
        except TelegramError as exc:
            return delivery.Transient(f"Telegram error: {exc.message}")


def _is_thread_gone(exc: TelegramError) -> bool:
    text = exc.message.casefold()
    return any(marker in text for marker in _THREAD_GONE)


def _is_chat_gone(exc: TelegramError) -> bool:
    text = exc.message.casefold()
    return any(marker in text for marker in _CHAT_GONE)
