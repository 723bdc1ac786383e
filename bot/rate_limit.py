"""Every message python-telegram-bot sends passes the same SendGate as the delivery worker's:
command replies and button answers count against the overall cap the broadcast is paced to, and
go ahead of it, so a user is answered within about a second while a large fan-out runs.

PTB's own AIORateLimiter would not do: it knows nothing of the worker's pace, has no per-chat
pacing for private chats, and halts every request on a single 429."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Coroutine, Iterator
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from jobs.send_gate import SendGate

# Methods that post a message and so count against Telegram's message limits (edits, answers to
# button presses and chat actions do not).
MESSAGE_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendAnimation",
        "sendVideo",
        "sendAudio",
        "sendVoice",
        "sendSticker",
        "sendMediaGroup",
        "sendPoll",
        "copyMessage",
        "forwardMessage",
    }
)
_broadcast: ContextVar[bool] = ContextVar("feedbot_broadcast_send", default=False)


@contextlib.contextmanager
def broadcast_send() -> Iterator[None]:
    """Marks the sends made inside as the delivery worker's: already paced, not replies."""
    token = _broadcast.set(True)
    try:
        yield
    finally:
        _broadcast.reset(token)


JSONResult = bool | dict[str, Any] | list[dict[str, Any]]


class PacedRateLimiter(BaseRateLimiter[None]):
    def __init__(self, gate: SendGate, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._gate = gate
        self._monotonic = monotonic

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> JSONResult:
        if endpoint not in MESSAGE_METHODS or _broadcast.get():
            return await callback(*args, **kwargs)
        chat = data.get("chat_id")
        chat_id = chat if isinstance(chat, int) else 0  # an @username: no per-chat state
        free = data.get("allow_paid_broadcast") is not True
        pacer = self._gate.pacer
        # Only a 429's wait holds a reply back: a user who just got a broadcast message and sends
        # a command is answered at once (Telegram tolerates short bursts).
        blocked = pacer.blocked_until(chat_id) - self._monotonic()
        if blocked > 0:
            await asyncio.sleep(blocked)
        await self._gate.wait_for_room(free=free, priority=True)
        ticket = self._gate.sending(chat_id, free=free)
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as exc:
            # Whether to try again is the caller's call (bot.handlers.replies); the broadcast
            # must not send to this chat before the wait is over either way.
            self._gate.hold_chat(chat_id, retry_seconds(exc))
            raise
        finally:
            self._gate.answered(ticket)


def retry_seconds(exc: RetryAfter) -> float:
    value: int | float | timedelta = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
