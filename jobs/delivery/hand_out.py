"""The hand-out loop: starts each claimed delivery's send when its chat's turn comes (its
interval passed and its previous send came back), then the next overall slot (jobs.pacing), then
room in Telegram's rolling second (jobs.send_gate). The slot is taken only then, so a waiting
chat holds no one else back."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from jobs.delivery.chat_turns import ChatTurns
from jobs.delivery.claimed import ClaimedPosts
from jobs.pacing import SendTicket
from jobs.send_gate import Naps, SendGate
from storage.records import Article, Delivery, DeliveryKind

# A send less than this ahead of its overall slot leaves at once: the loop's timers are about a
# millisecond coarse, and a wait per message at the paid rate would lose pace and CPU.
EARLY = 0.005
# Slots missed while the loop was busy elsewhere are taken up to this late, at once; Telegram's
# rolling second is kept by jobs.send_gate all the same.
CATCH_UP = 0.05

# A post whose article is at hand, with the gate's room already taken for it.
Admitted = tuple[Article, SendTicket]


async def wait_and_clear(event: asyncio.Event, limit: float | None) -> None:
    """Wait for the event, at most `limit` seconds (None: no limit), then clear it."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(limit):
            await event.wait()
    event.clear()


class HandOut:
    """`run()` until `stop()`; `start` is called with each delivery whose send may begin."""

    def __init__(
        self,
        gate: SendGate,
        posts: ClaimedPosts,
        stopping: asyncio.Event,
        monotonic: Callable[[], float],
        start: Callable[[Delivery, Admitted | None], None],
    ) -> None:
        self._gate, self._pacer, self._posts = gate, gate.pacer, posts
        self.turns = ChatTurns()
        self._stopping, self._monotonic, self._start = stopping, monotonic, start
        self.ready = asyncio.Event()  # set when a chat was queued or its turn ended
        self._naps = Naps()  # the waits for slots, ended by a stop

    def stop(self) -> None:
        self.ready.set()
        self._naps.wake_all()

    async def run(self) -> None:
        turns, pacer = self.turns, self._pacer
        while not self._stopping.is_set():
            now = self._monotonic()
            at = turns.next_at()
            if at is None or at > now:
                await wait_and_clear(self.ready, None if at is None else at - now)
                continue
            chat = turns.start_turn()
            ready = pacer.chat_ready_at(chat)  # a 429 may have come since it was queued
            if ready > now:
                turns.wait(chat, ready)
                continue
            slot = pacer.take_slot(now, catch_up=CATCH_UP)
            if slot - now > EARLY:
                await self._naps.nap(slot - now)  # ended early by a stop
            # Telegram's rolling second is waited for here, one send at a time, not by each
            # send's task: at the paid cap the window is full and most sends wait for it.
            if not await self._gate.wait_for_room(cancel=self._stopping):
                return
            delivery = turns.take(chat)
            article = self._posts.article(delivery.article_id or 0)
            if delivery.kind is DeliveryKind.POST and article is not None:
                self._start(delivery, (article, self._gate.sending(chat)))  # the room, taken
            else:
                self._start(delivery, None)  # an edit or an alert: its task passes the gate
