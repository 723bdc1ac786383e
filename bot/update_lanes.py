"""How updates are handled: one lane per chat, every lane at once. A chat's own updates run one
after another in the order Telegram sent them (a /topic and the /mytopics after it must not swap),
while different chats do not wait for each other: a reply that waits for its chat's flood limit
holds up that chat's lane only. At most RUNNING_LANES handlers run at once, quiet chats first.

Memory is bounded: at most MAX_QUEUED_PER_CHAT updates wait in one lane and MAX_QUEUED_TOTAL in
all lanes together. What comes in beyond that is dropped (one log line when a chat starts
overflowing, one with the count when its lane empties): a chat sending faster than it can be
answered gains nothing from a longer queue. A repeated update_id is dropped too
(bot.update_ids).

python-telegram-bot's seam for this is `ApplicationBuilder().concurrent_updates(processor)`.
`do_process_update` only files the update in its lane and returns, so the library's own
semaphore never fills up with waiting updates."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Coroutine, Hashable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.turns import Turns
from bot.update_ids import RecentUpdateIds

log = logging.getLogger(__name__)

MAX_QUEUED_PER_CHAT = 20
MAX_QUEUED_TOTAL = 5000
# The library's semaphore only guards the hand-over into a lane (no await inside).
HAND_OVER_SLOTS = 256
# Handlers running at once, at most: enough to keep replies at Telegram's 30/s while each waits
# for its chat's pace, few enough that a flood's start cannot hold the loop and the database.
# The lane whose chat sent the fewest updates since its lane opened (a quiet chat: one) gets the
# next free one.
RUNNING_LANES = 64
DRAIN_SECONDS = 5.0  # at a stop, how long queued updates may still run before they are dropped


@dataclass
class _Lane:
    waiting: deque[Awaitable[Any]] = field(default_factory=deque)
    received: int = 1  # updates that came in while the lane was open, dropped ones included
    dropped: int = 0


def lane_key(update: object) -> Hashable:
    """Updates of one chat share a lane; those without a chat (inline queries) go by user."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
    return ("none", 0)


def _describe(key: Hashable) -> str:
    kind, number = key if isinstance(key, tuple) else ("key", key)
    return f"{kind} {number}"


def _close(coroutine: Awaitable[Any]) -> None:
    # never awaited on purpose: close it, or Python warns about it at garbage collection
    if isinstance(coroutine, Coroutine):
        coroutine.close()


class ChatLanes(BaseUpdateProcessor):
    def __init__(
        self,
        *,
        per_chat: int = MAX_QUEUED_PER_CHAT,
        total: int = MAX_QUEUED_TOTAL,
        recent: RecentUpdateIds | None = None,
    ) -> None:
        super().__init__(HAND_OVER_SLOTS)
        self._running = Turns(RUNNING_LANES)
        self.per_chat = per_chat
        self.total = total
        self._recent = recent or RecentUpdateIds()
        self._lanes: dict[Hashable, _Lane] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.queued = 0  # updates waiting or running, over all lanes
        self.dropped = 0
        self._full_told = False

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        await self.drain(0)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if isinstance(update, Update) and not self._recent.first_time(update.update_id):
            log.info("skipped update %d: a repeat of one already received", update.update_id)
            _close(coroutine)
            return
        key = lane_key(update)
        lane = self._lanes.get(key)
        if lane is not None:
            lane.received += 1
        queued_here = len(lane.waiting) if lane is not None else 0
        if queued_here >= self.per_chat or self.queued >= self.total:
            self._drop(key, lane, coroutine)
            return
        self.queued += 1
        self._full_told = False
        if lane is not None:
            lane.waiting.append(coroutine)
            return
        lane = self._lanes[key] = _Lane(deque([coroutine]))
        task = asyncio.create_task(self._run(key, lane), name=f"lane {_describe(key)}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _drop(self, key: Hashable, lane: _Lane | None, coroutine: Awaitable[Any]) -> None:
        _close(coroutine)
        self.dropped += 1
        if lane is not None:
            lane.dropped += 1
            if lane.dropped > 1:
                return  # one line when a chat starts overflowing, the count when it is done
        elif self._full_told:
            return  # new chats while every lane is full: one line until there is room again
        else:
            self._full_told = True
        log.warning(
            "%s is sending faster than it can be answered: dropping updates (%d waiting for it, "
            "%d in all; the limits are %d and %d)",
            _describe(key),
            len(lane.waiting) if lane is not None else 0,
            self.queued,
            self.per_chat,
            self.total,
        )

    async def _run(self, key: Hashable, lane: _Lane) -> None:
        try:
            while lane.waiting:
                coroutine = lane.waiting[0]
                try:
                    async with self._running.take((lane.received,)):
                        await coroutine
                except Exception:  # the library reports handler errors itself; this is a bug
                    log.exception("update handling failed in the lane of %s", _describe(key))
                finally:
                    _close(lane.waiting.popleft())  # if a stop came before it started
                    self.queued -= 1
        finally:
            for left in lane.waiting:  # cancelled at a stop
                _close(left)
            self.queued -= len(lane.waiting)
            lane.waiting.clear()
            del self._lanes[key]
            if lane.dropped:
                log.warning("%s: %d updates dropped in its flood", _describe(key), lane.dropped)

    def load(self, chat_id: int) -> int:
        """How many updates the chat sent since its lane opened: 1 for a quiet chat, its flood
        for a flooding one (what ranks its replies, bot.rate_limit)."""
        lane = self._lanes.get(("chat", chat_id))
        return lane.received if lane is not None else 0

    async def wait_idle(self) -> None:
        """Until every update filed so far has been handled (tests and benchmarks)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def drain(self, seconds: float = DRAIN_SECONDS) -> None:
        """Let the queued updates run for up to `seconds`, then cancel the rest."""
        pending = set(self._tasks)
        if pending and seconds > 0:
            _, pending = await asyncio.wait(pending, timeout=seconds)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if pending:
            log.warning("stopped with updates of %d chats still unhandled", len(pending))
