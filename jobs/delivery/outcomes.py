"""What a send can come to: every answer Telegram can give, typed, and the Sender protocol that
produces them (bot.sender implements it with python-telegram-bot)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from storage.records import Article


@dataclass(frozen=True, slots=True)
class Sent:
    message_id: int | None
    note: str | None = None  # e.g. "photo refused, sent as text"


@dataclass(frozen=True, slots=True)
class RetryAfter:
    seconds: float


@dataclass(frozen=True, slots=True)
class ChatGone:
    reason: str


@dataclass(frozen=True, slots=True)
class ChatMoved:
    new_chat_id: int


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: str


@dataclass(frozen=True, slots=True)
class Transient:
    reason: str
    maybe_delivered: bool = False  # a timeout: Telegram may have posted it anyway


SendOutcome = Sent | RetryAfter | ChatGone | ChatMoved | Rejected | Transient


class Sender(Protocol):
    """What the engine needs from Telegram."""

    async def send(self, chat_id: int, article: Article) -> SendOutcome: ...

    async def send_text(self, chat_id: int, html: str) -> SendOutcome:
        """A message of the bot's own (an operator alert): Telegram HTML, as it is."""
        ...
