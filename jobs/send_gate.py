"""The asynchronous side of jobs.pacing: the one gate every message passes before it leaves,
whether the delivery worker sends it or a command handler replies. Sharing it is what keeps a
reply from tipping a broadcast over the overall cap, and what lets a reply go first."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from jobs.pacing import Pacer, SendTicket

# How long a waiter sleeps when the window holds only sends still waiting for their answers
# and no answer wakes it sooner (a lost wake-up costs at most this).
IN_FLIGHT_NAP = 0.25


class SendGate:
    def __init__(self, pacer: Pacer, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.pacer = pacer
        self._monotonic = monotonic
        self._naps = Naps()  # ended by their time, or by wake_all (an answer, a stop)
        self._in_flight_waiters = 0
        # Broadcast sends take turns, in order: one waits at the window, the rest queue behind
        # it, so an answer or an expiring send wakes one task, not thousands.
        self._turn = asyncio.Lock()
        self._queued = 0  # broadcasts at the window or queued behind it

    async def wait_for_room(
        self,
        *,
        free: bool = False,
        priority: bool = False,
        cancel: asyncio.Event | None = None,
    ) -> bool:
        """Wait until the message may leave; False when `cancel` was set first. Call
        `sending` right after (no await in between): the room found is taken then."""
        if not priority:
            # The common case of a fan-out, without a lock: nobody ahead, and room now.
            idle = not self._queued and (cancel is None or not cancel.is_set())
            if idle and self.pacer.window_wait(self._monotonic(), free=free) == 0:
                return True
            self._queued += 1
            try:
                async with self._turn:
                    return await self._wait(free, priority, cancel)
            finally:
                self._queued -= 1
        self.pacer.priority_waiting += 1
        try:
            return await self._wait(free, priority, cancel)
        finally:
            self.pacer.priority_waiting -= 1

    async def _wait(self, free: bool, priority: bool, cancel: asyncio.Event | None) -> bool:
        while cancel is None or not cancel.is_set():
            wait = self.pacer.window_wait(self._monotonic(), free=free, priority=priority)
            if wait == 0:
                return True
            await self._nap(wait)
        return False

    async def _nap(self, wait: float | None) -> None:
        # An answer never frees room by itself (the send then counts until WINDOW after it):
        # only waiters facing a window of unanswered sends need waking by answers; the others
        # know exactly when room appears. At the paid cap nearly every send naps here for a
        # fraction of a millisecond: the rolling window is full.
        if wait is None:
            self._in_flight_waiters += 1
        try:
            await self._naps.nap(IN_FLIGHT_NAP if wait is None else wait)
        finally:
            if wait is None:
                self._in_flight_waiters -= 1

    def sending(self, chat_id: int, *, free: bool = False) -> SendTicket:
        return self.pacer.record_send(chat_id, self._monotonic(), free=free)

    def answered(self, ticket: SendTicket) -> None:
        self.pacer.record_answer(ticket, self._monotonic())
        if self._in_flight_waiters:
            self.wake_all()

    def hold_chat(self, chat_id: int, seconds: float) -> float:
        """A 429 for the chat: nothing more goes there, broadcast or reply, for `seconds` (or
        longer, while an earlier 429's hold lasts); returns this 429's wait from now."""
        now = self._monotonic()
        return self.pacer.retry_after(chat_id, seconds, now) - now

    def wake_all(self) -> None:
        """Make every waiter look again (an answer came, or a stop)."""
        self._naps.wake_all()


class Naps:
    """Short sleeps that a `wake_all` ends early: a future and a timer each, not
    asyncio.timeout around an Event, which ends by cancelling the task (an exception raised
    and caught per nap, and at the paid cap nearly every send naps once)."""

    def __init__(self) -> None:
        self._naps: set[asyncio.Future[None]] = set()

    async def nap(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        nap: asyncio.Future[None] = loop.create_future()
        timer = loop.call_later(seconds, _end_nap, nap)
        self._naps.add(nap)
        try:
            await nap
        finally:
            timer.cancel()
            self._naps.discard(nap)

    def wake_all(self) -> None:
        naps, self._naps = self._naps, set()
        for nap in naps:
            _end_nap(nap)


def _end_nap(nap: asyncio.Future[None]) -> None:
    if not nap.done():
        nap.set_result(None)
