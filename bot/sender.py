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

from bot.formatting import Post, PostWords, render_post, render_text_post
from bot.i18n import DEFAULT_LANGUAGE, Translator, translator
from bot.rate_limit import broadcast_send, retry_seconds
from jobs import delivery
from storage.records import Article

log = logging.getLogger(__name__)

# Telegram fetches a photo URL itself before answering; that can take a while.
PHOTO_READ_TIMEOUT = 30.0
_CHAT_GONE = ("chat not found", "user is deactivated", "bot was kicked", "have no rights")


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
            return await self._send(chat_id, article)

    async def _send(self, chat_id: int, article: Article) -> delivery.SendOutcome:
        post, text_post = self._render(article)
        try:
            try:
                message = await self.send_post(chat_id, post)
                return delivery.Sent(message.message_id)
            except BadRequest as exc:
                if post.photo_url is None or _is_chat_gone(exc):
                    raise
                # Telegram refused the photo (bad URL, too big, wrong type, cached failure):
                # the post still goes out, as text with a large link preview.
                message = await self.send_post(chat_id, text_post)
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
