"""The python-telegram-bot side of delivery: renders a post (or takes an alert's text), sends
it or edits the channel's post, and translates every Telegram answer into a jobs.delivery
outcome (bot.refusals). Only a refusal of the message's photo makes a post go out again as
text; a refusal of an edit's new photo leaves the old one and edits the caption."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    LinkPreviewOptions,
)
from telegram._utils.types import ODVInput
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.request import BaseRequest

from bot.formatting import Post, PostForm, PostWords, render_post
from bot.i18n import DEFAULT_LANGUAGE, Translator, translator
from bot.lean_send import PreparedCall, prepare_call, send_for_id
from bot.rate_limit import broadcast_send
from bot.refusals import (
    MESSAGE_GONE,
    NO_CAPTION,
    NO_TEXT,
    NOT_MODIFIED,
    bad_request_kind,
    edit_outcome_of,
    is_thread_gone,
    matches,
    send_outcome_of,
)
from bot.unfollow_buttons import Button, post_buttons
from jobs import delivery
from jobs.delivery.edits import changes_photo
from jobs.delivery.outcomes import DEFAULT_OPTIONS, SendOptions
from storage.records import Article

log = logging.getLogger(__name__)

# Telegram fetches a photo URL itself before answering; that can take a while.
PHOTO_READ_TIMEOUT = 30.0


def post_words(t: Translator) -> PostWords:
    return PostWords(
        read=t.gettext("Read"),
        watch=t.gettext("Watch"),
        also=t.gettext("Also"),
        untitled=t.gettext("Article"),
    )


def markup(row: list[Button]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, url=b.url, callback_data=b.callback_data) for b in row]]
    )


def _keyboard(
    post: Post, options: SendOptions = DEFAULT_OPTIONS, t: Translator | None = None
) -> InlineKeyboardMarkup:
    """Read (PostWords), then the unfollow button in the chat's language when the claim read it
    (SendOptions.language), else in `t`'s (telegram.language)."""
    t = t or translator(None)
    words = translator(options.language, t.language) if options.language else t
    return markup(post_buttons(post.button_text, post.link, options.unfollow, words))


# Articles rendered and encoded per way of sending them, at most (bot.sender._prepare).
PREPARED_POSTS = 512


class _Prepared:
    """An article's two forms (as posted, and as text for when its photo is refused) for one
    way of sending them, and each form's call once encoded (keyed by "as text")."""

    __slots__ = ("calls", "post", "text_post")

    def __init__(self, post: Post, text_post: Post) -> None:
        self.post = post
        self.text_post = text_post
        self.calls: dict[bool, PreparedCall] = {}


class TelegramSender:
    """Implements jobs.delivery.Sender."""

    def __init__(
        self, bot: Bot, *, paid_broadcast: bool = False, language: str = DEFAULT_LANGUAGE
    ) -> None:
        self._bot = bot
        self._paid = paid_broadcast
        # Posts read alike wherever they go: their words follow telegram.language.
        self._t = translator(language)
        self._words = post_words(self._t)
        self._prepared: OrderedDict[tuple[object, ...], _Prepared] = OrderedDict()
        # The last send's (article, also, options) objects and what they were prepared as: a
        # fan-out sends the same ones again and again (jobs.delivery.claimed and options hand
        # out one object each), and all three are immutable (`also` a tuple), so the same
        # objects mean the same key without building and hashing it for every chat.
        self._last: tuple[Article, tuple[Article, ...], SendOptions, _Prepared] | None = None

    def _prepare(
        self, article: Article, also: Sequence[Article] = (), options: SendOptions = DEFAULT_OPTIONS
    ) -> _Prepared:
        """The article (and its story's `also`) rendered for one way of sending it. A fan-out
        sends one article to many chats: once per way, not per chat. The way is SendOptions
        without the thread, which is put in per send like the chat id (a forum's threads would
        each need their own entry)."""
        last = self._last
        if last is not None and article is last[0] and also is last[1] and options is last[2]:
            return last[3]
        way = replace(options, thread_id=0) if options.thread_id else options
        key = (article.id, article.updated_at, way, *((a.id, a.updated_at) for a in also))
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = _Prepared(
                render_post(article, also, self._words, compact=way.compact),
                render_post(article, also, self._words, compact=way.compact, form=PostForm.TEXT),
            )
            self._prepared[key] = prepared
            if len(self._prepared) > PREPARED_POSTS:
                self._prepared.popitem(last=False)
        if isinstance(also, tuple):
            self._last = (article, also, options, prepared)
        return prepared

    def api_call(
        self, post: Post, options: SendOptions = DEFAULT_OPTIONS
    ) -> tuple[str, dict[str, Any], ODVInput[float]]:
        """The Bot API method, its parameters but chat_id and message_thread_id, and its read
        timeout for the post sent the subscriber's way (silent, link preview, unfollow
        button)."""
        data: dict[str, Any] = {
            "parse_mode": ParseMode.HTML,
            "reply_markup": _keyboard(post, options, self._t),
            "allow_paid_broadcast": True if self._paid else None,
            "disable_notification": True if options.silent else None,
        }
        if post.photo_url:
            data.update(photo=post.photo_url, caption=post.html)
            return "sendPhoto", data, PHOTO_READ_TIMEOUT
        preview = (
            LinkPreviewOptions(url=post.preview_url or post.link, prefer_large_media=True)
            if options.link_preview
            else LinkPreviewOptions(is_disabled=True)
        )
        data.update(text=post.html, link_preview_options=preview)
        return "sendMessage", data, BaseRequest.DEFAULT_NONE

    async def _send_form(
        self, chat_id: int, prepared: _Prepared, options: SendOptions, *, as_text: bool = False
    ) -> int:
        """Sends the post (its text form: `as_text`); returns its message_id (bot.lean_send: no
        Message is built). Each form is encoded once, on its first send."""
        call = prepared.calls.get(as_text)
        if call is None:
            post = prepared.text_post if as_text else prepared.post
            call = prepared.calls[as_text] = prepare_call(*self.api_call(post, options))
        return await send_for_id(self._bot, call, chat_id, options.thread_id)

    async def send(self, chat_id: int, post: delivery.Outgoing) -> delivery.SendOutcome:
        with broadcast_send():
            return await self._send(chat_id, post.article, post.also, post.options)

    async def send_text(
        self, chat_id: int, html: str, thread_id: int = 0, silent: bool = False
    ) -> delivery.SendOutcome:
        """A message of the bot's own (an operator alert, a digest), through the lean path like
        a post: Telegram HTML, no link preview; to the forum thread `thread_id` (0: the chat);
        `silent`: with disable_notification (a digest to a chat whose Silent is on)."""
        call = prepare_call(
            "sendMessage",
            {
                "text": html,
                "parse_mode": ParseMode.HTML,
                "link_preview_options": LinkPreviewOptions(is_disabled=True),
                "disable_notification": True if silent else None,
            },
        )
        with broadcast_send():
            try:
                return delivery.Sent(await send_for_id(self._bot, call, chat_id, thread_id))
            except TelegramError as exc:
                return send_outcome_of(exc, thread_id)

    async def _send(
        self, chat_id: int, article: Article, also: Sequence[Article], options: SendOptions
    ) -> delivery.SendOutcome:
        prepared = self._prepare(article, also, options)
        try:
            try:
                message_id = await self._send_form(chat_id, prepared, options)
                return delivery.Sent(message_id, photo=prepared.post.photo_url)
            except BadRequest as exc:
                if (
                    prepared.post.photo_url is None
                    or bad_request_kind(exc.message) != "message"
                    or is_thread_gone(exc)
                ):
                    raise
                # Telegram refused the photo (bad URL, too big, wrong type, cached failure):
                # the post still goes out, as text with a large link preview.
                message_id = await self._send_form(chat_id, prepared, options, as_text=True)
                return delivery.Sent(message_id, f"photo refused ({exc.message}), sent as text")
        except TelegramError as exc:
            return send_outcome_of(exc, options.thread_id)

    async def edit(
        self,
        chat_id: int,
        message_id: int,
        article: Article,
        also: Sequence[Article],
        shown_photo: str | None = None,
    ) -> delivery.EditOutcome:
        """Make the post show the article and its story's outlets as they are now. A photo
        post whose article's image is now another one (jobs.delivery.edits.changes_photo) gets
        that photo with the caption (editMessageMedia); when Telegram refuses the new photo,
        the old one stays and the caption is edited. Otherwise the caption of a photo post,
        the text of a text post (_edit_in_place)."""
        prepared = self._prepare(article, also)
        with broadcast_send():
            try:
                if changes_photo(shown_photo, prepared.post.photo_url):
                    replaced = await self._replace_photo(chat_id, message_id, prepared.post)
                    if replaced is not None:
                        return replaced
                await self._edit_in_place(chat_id, message_id, article, also, shown_photo)
                return delivery.Sent(message_id)
            except TelegramError as exc:
                return edit_outcome_of(exc)

    async def _replace_photo(
        self, chat_id: int, message_id: int, post: Post
    ) -> delivery.Sent | None:
        """The post's photo and caption replaced by `post`'s; None when Telegram refused the
        new photo (one line; the caller edits the caption)."""
        assert post.photo_url is not None
        media = InputMediaPhoto(post.photo_url, caption=post.html, parse_mode=ParseMode.HTML)
        try:
            await self._bot.edit_message_media(
                media,
                chat_id,
                message_id,
                reply_markup=_keyboard(post),
                read_timeout=PHOTO_READ_TIMEOUT,  # Telegram fetches the new photo first
            )
        except BadRequest as exc:
            if matches(exc, NOT_MODIFIED):  # it shows this already: kept as what it shows
                return delivery.Sent(message_id, NOT_MODIFIED[0], photo=post.photo_url)
            if matches(exc, MESSAGE_GONE) or bad_request_kind(exc.message) != "message":
                raise
            log.warning(
                "message %d in chat %s: the new photo was refused (%s); the old one stays, "
                "the caption is edited",
                message_id,
                chat_id,
                exc.message,
            )
            return None
        return delivery.Sent(message_id, photo=post.photo_url)

    async def _edit_in_place(
        self,
        chat_id: int,
        message_id: int,
        article: Article,
        also: Sequence[Article],
        shown_photo: str | None,
    ) -> None:
        """The caption of a photo post, the text of a text post. The form is the one the post
        would be sent in now, unless the post is known to show a photo (its caption form then);
        Telegram says when the message is the other form: a post that went out as text
        because Telegram refused its photo ("there is no caption in the message to edit") is
        edited as text, and a photo post whose image no longer qualifies ("there is no text in
        the message to edit") gets the caption form."""
        prepared = self._prepare(article, also)
        post = prepared.post
        if shown_photo is not None and not post.caption:
            # its image no longer qualifies: the photo stays, with the caption form
            post = render_post(article, also, self._words, form=PostForm.CAPTION)
        try:
            await self.edit_post(chat_id, message_id, post)
        except BadRequest as exc:
            if post.caption and matches(exc, NO_CAPTION):
                await self.edit_post(chat_id, message_id, prepared.text_post)
            elif not post.caption and matches(exc, NO_TEXT):
                caption = render_post(article, also, self._words, form=PostForm.CAPTION)
                await self.edit_post(chat_id, message_id, caption)
            else:
                raise

    async def edit_post(self, chat_id: int | str, message_id: int, post: Post) -> None:
        """Edit a post `send` sent to show `post` (same form: photo caption or text).
        Edits take no allow_paid_broadcast: the worker paces them as messages."""
        if post.caption:
            await self._bot.edit_message_caption(
                chat_id,
                message_id,
                caption=post.html,
                parse_mode=ParseMode.HTML,
                reply_markup=_keyboard(post),
            )
            return
        await self._bot.edit_message_text(
            post.html,
            chat_id,
            message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=_keyboard(post),
            link_preview_options=LinkPreviewOptions(
                url=post.preview_url or post.link, prefer_large_media=True
            ),
        )
