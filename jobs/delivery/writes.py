"""The delivery worker's row writes: one small transaction per outcome, one at a time, retried
for as long as the database is away (an outcome not written is a message sent again after a
restart)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from jobs.backoff import Backoff
from storage.errors import DB_UNAVAILABLE
from storage.unit_of_work import Transaction, UowFactory

log = logging.getLogger("jobs.delivery.worker")  # the worker's lines, as before the split
T = TypeVar("T")

# Waits between two tries while the database is away (storage.errors.DB_UNAVAILABLE): waited
# out, never given up on, as the outbox is the only record of what is owed. 2, 4, 8, 16, 30 s.
DB_BACKOFF: Backoff[float] = Backoff(base=2.0, cap=30.0)
WRITES_AFTER_STOP = 3  # tries left for an outcome write once a stop came


class OutcomeWriter:
    def __init__(self, uow: UowFactory, stopping: asyncio.Event) -> None:
        self._uow = uow
        self._stopping = stopping
        self._lock = asyncio.Lock()

    async def __call__(self, change: Callable[[Transaction], Awaitable[T]]) -> T:
        """Write the change. Once a stop came, a few tries only; what is still unwritten then
        stays `sending` and is sent again at the next start (the in-flight bound in README)."""
        attempt = after_stop = 0
        while True:
            attempt += 1
            try:
                async with self._lock, self._uow() as tx:
                    return await change(tx)
            except DB_UNAVAILABLE as exc:
                if self._stopping.is_set():
                    after_stop += 1
                    if after_stop >= WRITES_AFTER_STOP:
                        raise
                log.warning(
                    "database write failed (%s, attempt %d); retrying", type(exc).__name__, attempt
                )
                await asyncio.sleep(DB_BACKOFF.longest(attempt))


def deferral(
    delivery_id: int, chat_id: int, at: datetime, error: str
) -> Callable[[Transaction], Awaitable[None]]:
    """The write of a 429: the row and every other row of the chat wait until `at`."""

    async def defer(tx: Transaction) -> None:
        await tx.outbox.postpone(delivery_id, at, error)
        await tx.outbox.defer_chat(chat_id, at)

    return defer
