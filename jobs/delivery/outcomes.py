"""What a send or an edit can come to: every answer Telegram can give, typed, and the Sender
protocol that produces them (bot.sender implements it with python-telegram-bot)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from storage.records import Article


@dataclass(frozen=True, slots=True)
class Sent:
    message_id: int | None
    note: str | None = None  # e.g. "photo refused, sent as text"
    # the photo URL the message shows now: set when a post went out as a photo, or an edit
    # replaced its photo; kept with the post (jobs.delivery.edits)
    photo: str | None = None


@dataclass(frozen=True, slots=True)
class RetryAfter:
    seconds: float


@dataclass(frozen=True, slots=True)
class Because:
    """A record that is its type and Telegram's (or our) words: the outcomes and steps that
    carry a reason alone are its subclasses, so the shape is written once. Each subclass is
    its own type for `match` and equality (ChatGone("x") != Rejected("x"))."""

    reason: str


class ChatGone(Because):
    __slots__ = ()


class ThreadGone(Because):
    """The forum thread was closed or deleted; the chat itself is still there."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class ChatMoved:
    new_chat_id: int


class Rejected(Because):
    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Transient:
    reason: str
    maybe_delivered: bool = False  # a timeout: Telegram may have posted it anyway


@dataclass(frozen=True, slots=True)
class TokenRejected:
    """Telegram refuses the bot's token (401): every send would fail alike; none of them did."""


SendOutcome = (
    Sent | RetryAfter | ChatGone | ThreadGone | ChatMoved | Rejected | Transient | TokenRejected
)


@dataclass(frozen=True, slots=True)
class SendOptions:
    """How this subscriber gets its posts (its settings at send time, jobs.delivery.options)."""

    thread_id: int = 0  # the forum thread (message_thread_id); 0: the chat itself
    silent: bool = False  # disable_notification
    compact: bool = False  # title and link only
    link_preview: bool = True  # text posts show the link's preview
    # (topic id, name) of the followed topics that brought the post, for its "🔕 Unfollow"
    # button; empty: no such button (not a private chat, or a post not from a subscription)
    unfollow: tuple[tuple[int, str], ...] = ()
    # the chat's Chat.reader_language, for the unfollow button's words; None: telegram.language
    language: str | None = None


DEFAULT_OPTIONS = SendOptions()


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A post as it goes to one chat: the article, its story's other articles (named on the
    post's "Also:" line) and the subscriber's way of getting it. The rows of a fan-out that go
    alike hand the sender the same three objects (jobs.delivery.claimed, options)."""

    article: Article
    also: tuple[Article, ...] = ()
    options: SendOptions = DEFAULT_OPTIONS


@dataclass(frozen=True, slots=True)
class NotModified:
    """ "message is not modified": the post already shows this content."""


class MessageGone(Because):
    """ "message to edit not found": the post was deleted (or never was the bot's)."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class PostPending:
    """The post to edit has not been sent yet (the worker's own finding, no request made)."""


EditOutcome = (
    Sent
    | NotModified
    | MessageGone
    | PostPending
    | RetryAfter
    | ChatGone
    | ChatMoved
    | Rejected
    | Transient
    | TokenRejected
)


class Sender(Protocol):
    """What the engine needs from Telegram."""

    async def send(self, chat_id: int, post: Outgoing) -> SendOutcome: ...

    async def send_text(
        self, chat_id: int, html: str, thread_id: int = 0, silent: bool = False
    ) -> SendOutcome:
        """A message of the bot's own (an alert, a digest): Telegram HTML, as it is."""
        ...

    async def edit(
        self,
        chat_id: int,
        message_id: int,
        article: Article,
        also: Sequence[Article],
        shown_photo: str | None = None,
    ) -> EditOutcome:
        """Make the post `message_id` show the article (and `also`) as they are now;
        `shown_photo`: the photo the post shows (None: a text post, or not known)."""
        ...
