"""Claimed deliveries waiting for their send, by chat, and which chat's turn comes next.

A chat has one send at a time: its next delivery waits until the send before it has come back
and its outcome is applied (a 403 cancels what is queued behind it, a 429 holds it), and until
the chat's interval has passed (jobs.pacing). Within a chat, deliveries go in claim order. Plain
data, no clock and no I/O: the worker passes the times in."""

from __future__ import annotations

import heapq
import itertools
from collections import deque

from storage.records import Delivery


class ChatTurns:
    def __init__(self) -> None:
        self._queued: dict[int, deque[Delivery]] = {}
        # (when the chat may send, tie-break, chat): one entry per chat that is waiting for its
        # turn and has no send in flight
        self._ready: list[tuple[float, int, int]] = []
        self._busy: set[int] = set()  # chats whose turn it is (a send in flight, or about to)
        self._order = itertools.count()
        self._count = 0

    def __len__(self) -> int:
        """Deliveries queued, not yet handed out."""
        return self._count

    def add(self, delivery: Delivery, ready_at: float) -> bool:
        """Queue a claimed delivery; True when its chat now waits for a turn (it had nothing
        queued and no send in flight)."""
        chat = delivery.chat_id
        queue = self._queued.get(chat)
        if queue is None:
            queue = self._queued[chat] = deque()
        queue.append(delivery)
        self._count += 1
        if len(queue) == 1 and chat not in self._busy:
            heapq.heappush(self._ready, (ready_at, next(self._order), chat))
            return True
        return False

    def next_at(self) -> float | None:
        """When the first waiting chat may send (None: no chat waits)."""
        return self._ready[0][0] if self._ready else None

    def start_turn(self) -> int:
        """The first waiting chat, now busy: `take` its delivery, or `wait` it again."""
        _, _, chat = heapq.heappop(self._ready)
        self._busy.add(chat)
        return chat

    def wait(self, chat: int, ready_at: float) -> None:
        """The chat's turn is not yet (its interval or a retry_after since it was queued)."""
        self._busy.discard(chat)
        heapq.heappush(self._ready, (ready_at, next(self._order), chat))

    def take(self, chat: int) -> Delivery:
        """The busy chat's next delivery, to send now."""
        queue = self._queued[chat]
        self._count -= 1
        delivery = queue.popleft()
        if not queue:
            del self._queued[chat]
        return delivery

    def end_turn(self, chat: int, ready_at: float) -> bool:
        """The chat's send came back and its outcome is applied; True when it has more queued
        (it waits for its next turn from `ready_at`), False when it has nothing left here."""
        self._busy.discard(chat)
        if chat in self._queued:
            heapq.heappush(self._ready, (ready_at, next(self._order), chat))
            return True
        return False

    def drop(self, chat: int) -> list[Delivery]:
        """Forget what is queued for the chat (its rows were cancelled or moved)."""
        dropped = list(self._queued.pop(chat, ()))
        self._count -= len(dropped)
        if chat not in self._busy:  # a busy chat has no entry to remove
            self._ready = [entry for entry in self._ready if entry[2] != chat]
            heapq.heapify(self._ready)
        return dropped

    def drain(self) -> list[Delivery]:
        """Everything still queued (a stop: handed back unsent)."""
        left = [d for queue in self._queued.values() for d in queue]
        self._queued.clear()
        self._ready.clear()
        self._count = 0
        return left
