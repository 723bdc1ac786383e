"""Taking turns by rank: at most `slots` holders at once, and when one leaves, the waiter with
the lowest rank goes next (first come first among equals). asyncio.Semaphore wakes waiters in
arrival order only; the bot needs "a quiet chat before a flooding one" (bot.update_lanes,
bot.rate_limit), hence this small one. Each waiter waits on its own future, so a freed slot
wakes one task, not all of them."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import AsyncIterator

Rank = tuple[float, ...]


class Turns:
    def __init__(self, slots: int = 1) -> None:
        self._free = slots
        self._queue: list[tuple[Rank, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @property
    def waiting(self) -> int:
        return sum(1 for *_, waiter in self._queue if not waiter.done())

    @contextlib.asynccontextmanager
    async def take(self, rank: Rank = ()) -> AsyncIterator[None]:
        if self._free > 0:
            self._free -= 1
        else:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            heapq.heappush(self._queue, (rank, next(self._order), waiter))
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._hand_on()  # the slot was handed to us: pass it on
                raise
        try:
            yield
        finally:
            self._hand_on()

    def _hand_on(self) -> None:
        while self._queue:
            waiter = heapq.heappop(self._queue)[-1]
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1
