"""What Telegram's refusals of a send or an edit mean, as jobs.delivery outcomes.

A 400 is the chat's problem (gone, or no right to post there: "need administrator rights in
the channel chat", "not enough rights") or the message's (bad_request_kind, table-tested).
PTB drops "Bad Request: " and capitalises the first letter: texts are compared
case-insensitively."""

from __future__ import annotations

from typing import Literal

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.rate_limit import retry_seconds
from jobs import delivery

# A forum thread closed or deleted: the thread is gone, the chat is not.
_THREAD_GONE = ("topic_closed", "topic_deleted", "message thread not found", "thread not found")
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
NOT_MODIFIED = ("message is not modified",)
MESSAGE_GONE = ("message to edit not found", "message_id_invalid")
NO_CAPTION = ("there is no caption in the message to edit",)
NO_TEXT = ("there is no text in the message to edit",)


def send_outcome_of(exc: TelegramError, thread_id: int) -> delivery.SendOutcome:
    """Telegram's refusal of a send to the forum thread `thread_id` (0: the chat itself) as an
    outcome: a closed or deleted thread is the thread's, not the chat's."""
    if thread_id and isinstance(exc, BadRequest) and is_thread_gone(exc):
        return delivery.ThreadGone(exc.message)
    return outcome_of(exc)


def outcome_of(
    exc: TelegramError,
) -> (
    delivery.Sent
    | delivery.RetryAfter
    | delivery.ChatGone
    | delivery.ChatMoved
    | delivery.Rejected
    | delivery.Transient
    | delivery.TokenRejected
):
    """Telegram's refusal of a send or an edit as an outcome (jobs.delivery.outcomes)."""
    if isinstance(exc, InvalidToken):
        return delivery.TokenRejected()
    if isinstance(exc, RetryAfter):
        return delivery.RetryAfter(retry_seconds(exc))
    if isinstance(exc, ChatMigrated):
        return delivery.ChatMoved(exc.new_chat_id)
    if isinstance(exc, Forbidden):
        return delivery.ChatGone(exc.message)
    if isinstance(exc, BadRequest):  # before NetworkError: BadRequest is one of its subclasses
        if bad_request_kind(exc.message) == "message":
            return delivery.Rejected(exc.message)
        return delivery.ChatGone(exc.message)  # gone, or no right to post: the chat's problem
    if isinstance(exc, TimedOut):
        return delivery.Transient(f"timed out: {exc.message}", maybe_delivered=True)
    if isinstance(exc, NetworkError):
        return delivery.Transient(f"network error: {exc.message}")
    return delivery.Transient(f"Telegram error: {exc.message}")


def edit_outcome_of(exc: TelegramError) -> delivery.EditOutcome:
    """As outcome_of, with the refusals only an edit gets."""
    if isinstance(exc, BadRequest):
        if matches(exc, NOT_MODIFIED):
            return delivery.NotModified()
        if matches(exc, MESSAGE_GONE):
            return delivery.MessageGone(exc.message)
    return outcome_of(exc)


def matches(exc: TelegramError, markers: tuple[str, ...]) -> bool:
    # PTB drops "Bad Request: " and capitalises the first letter: compare case-insensitively
    text = exc.message.casefold()
    return any(marker in text for marker in markers)


def is_thread_gone(exc: TelegramError) -> bool:
    return matches(exc, _THREAD_GONE)


def bad_request_kind(text: str) -> Literal["gone", "no rights", "message"]:
    """Whose problem a 400 is: the chat's (gone, or the bot may not post there) or this
    message's. Pure."""
    folded = text.casefold()
    if any(marker in folded for marker in _CHAT_GONE):
        return "gone"
    if any(marker in folded for marker in _NO_RIGHTS):
        return "no rights"
    return "message"
