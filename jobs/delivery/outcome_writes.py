"""Writing what sends came to: one small transaction per outcome, retried for as long as the
database is away, and successes in batches (one transaction per message would make the
database, not Telegram, the limit of a large fan-out)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from jobs.backoff import Backoff
from storage.errors import DB_UNAVAILABLE
from storage.unit_of_work import Transaction, UowFactory

log = logging.getLogger(__name__)
T = TypeVar("T")

# Waits between two tries while the database is away (storage.errors.DB_UNAVAILABLE): waited
# out, never given up on, as the outbox is the only record of what is owed. 2, 4, 8, 16, 30 s.
DB_BACKOFF: Backoff[float] = Backoff(base=2.0, cap=30.0)
WRITES_AFTER_STOP = 3  # tries left for an outcome write once a stop came
SENT_BATCH = 200  # successes written together, at most


class OutcomeWriter:
    def __init__(self, uow: UowFactory, stopping: asyncio.Event, flush_every: float) -> None:
        self._uow = uow
        self._stopping = stopping
        self._flush_every = flush_every
        self._lock = asyncio.Lock()
        self._sent: list[tuple[int, int | None, datetime]] = []
        self._flusher: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._flusher = asyncio.create_task(self._flush_periodically())

    async def write(self, change: Callable[[Transaction], Awaitable[T]]) -> T:
        """An outcome not written is a message sent again after a restart. Once a stop came, a
        few tries only; what is still unwritten then stays `sending` and is sent again at the
        next start (the in-flight bound in README)."""
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

    async def sent(self, delivery_id: int, message_id: int | None, at: datetime) -> None:
        self._sent.append((delivery_id, message_id, at))
        if len(self._sent) >= SENT_BATCH:
            await self.flush()

    async def flush(self) -> None:
        batch, self._sent = self._sent, []
        if batch:
            await self.write(lambda tx: tx.outbox.mark_sent_many(batch))

    async def _flush_periodically(self) -> None:
        # Ends by itself after a stop (never cancelled: a cancelled flush would lose its batch).
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._flush_every)
            await self.flush()

    async def drain(self) -> None:
        """After a stop, once the sends have ended."""
        if self._flusher is not None:
            await self._flusher
        await self.flush()
