"""Every message python-telegram-bot sends passes the same SendGate as the delivery worker's:
command replies and button answers count against the overall cap the broadcast is paced to, and
go ahead of it, so a user is answered within about a second while a large fan-out runs.

PTB's own AIORateLimiter would not do: it knows nothing of the worker's pace, has no per-chat
pacing for private chats, and halts every request on a single 429."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.turns import Turns
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


class broadcast_send:  # used as `with broadcast_send():`, like a function
    """Marks the sends made inside as the delivery worker's: already paced, not replies. A
    class, not a @contextmanager: it wraps every broadcast send, and a generator-based one
    costs several times as much."""

    __slots__ = ("_token",)

    def __enter__(self) -> None:
        self._token = _broadcast.set(True)

    def __exit__(self, *exc: object) -> None:
        _broadcast.reset(self._token)


JSONResult = bool | dict[str, Any] | list[dict[str, Any]]

# A chat may get this many replies at once, then one per its interval (jobs.pacing): Telegram
# tolerates short bursts to one chat, and a user who sends three commands in a row gets three
# answers at once, while a flooding chat's answers are paced in its own lane (bot.update_lanes).
REPLY_BURST = 3
# Telegram clocks a reply when it arrives, we when it leaves: a slower refill keeps the jitter
# of the round trip from turning the last reply of a burst into a 429.
REPLY_MARGIN = 1.1
REMEMBERED_CHATS = 10_000  # budgets kept at most; a full budget carries no information


@dataclass
class ReplyBudget:
    """Per-chat token buckets for replies. Pure: the caller passes the clock value."""

    burst: float = REPLY_BURST
    _tokens: dict[int, tuple[float, float]] = field(default_factory=dict)  # chat -> (n, at)

    def _level(self, chat_id: int, now: float, interval: float) -> float:
        tokens, at = self._tokens.get(chat_id, (self.burst, now))
        return min(self.burst, tokens + (now - at) / interval)

    def ready_at(self, chat_id: int, now: float, interval: float) -> float:
        """When the next reply to the chat may go (`now` or later)."""
        level = self._level(chat_id, now, interval)
        return now if level >= 1 else now + (1 - level) * interval

    def spend(self, chat_id: int, now: float, interval: float) -> None:
        self._tokens[chat_id] = (self._level(chat_id, now, interval) - 1, now)
        if len(self._tokens) > REMEMBERED_CHATS:
            self._tokens = {
                c: (n, at)
                for c, (n, at) in self._tokens.items()
                if n + (now - at) / interval < self.burst
            }


class ReplyTurns:
    """Replies waiting for room under the overall cap take turns: first the chats that sent the
    fewest updates lately (`load`: a user who asks now and then, one; a flooding chat, its
    flood), among those the chat answered longest ago. So a quiet user is answered before the
    hundredth reply of a flood, however many chats flood. Only the reply whose turn it is waits
    at the gate."""

    def __init__(self) -> None:
        self._turns = Turns(1)
        self._last_turn: dict[int, float] = {}

    @contextlib.asynccontextmanager
    async def turn(self, chat_id: int, now: float, load: int = 0) -> AsyncIterator[None]:
        async with self._turns.take((load, self._last_turn.get(chat_id, 0.0))):
            try:
                yield
            finally:
                self._last_turn[chat_id] = now
                if len(self._last_turn) > REMEMBERED_CHATS:
                    self._last_turn.clear()  # ranks only order the current waiters


class PacedRateLimiter(BaseRateLimiter[None]):
    def __init__(
        self,
        gate: SendGate,
        *,
        load: Callable[[int], int] = lambda chat_id: 0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._gate = gate
        self._load = load  # updates a chat sent lately (bot.update_lanes)
        self._monotonic = monotonic
        self._budget = ReplyBudget()
        self._turns = ReplyTurns()

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
        interval = pacer.interval(chat_id) * REPLY_MARGIN
        # The chat's own limits (a 429's wait, its reply budget): the handler waits here, in
        # its chat's lane (bot.update_lanes), and no other chat waits with it.
        while True:
            now = self._monotonic()
            ready = max(pacer.blocked_until(chat_id), self._budget.ready_at(chat_id, now, interval))
            if ready <= now:
                break
            await asyncio.sleep(ready - now)
        async with self._turns.turn(chat_id, now, self._load(chat_id)):
            await self._gate.wait_for_room(free=free, priority=True)
            ticket = self._gate.sending(chat_id, free=free)
        self._budget.spend(chat_id, self._monotonic(), interval)
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
