"""Successful sends, recorded in batches: one transaction per message would make the database,
not Telegram, the limit of a large fan-out."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime

from storage.unit_of_work import Transaction

Write = Callable[[Callable[[Transaction], Awaitable[None]]], Awaitable[None]]
BATCH = 200  # sends recorded at once, at most


class SentBatch:
    """`add` what was sent; `run` flushes every `every` seconds until the stop event, then
    once more; `flush` at once when a row's message id is needed now."""

    def __init__(self, write: Write, every: float) -> None:
        self._write = write  # the worker's retried write (DeliveryWorker._write)
        self._every = every
        self._rows: list[tuple[int, int | None, datetime, str | None]] = []

    async def add(
        self, delivery_id: int, message_id: int | None, at: datetime, photo: str | None = None
    ) -> None:
        self._rows.append((delivery_id, message_id, at, photo))
        if len(self._rows) >= BATCH:
            await self.flush()

    async def flush(self) -> None:
        batch, self._rows = self._rows, []
        if batch:
            await self._write(lambda tx: tx.outbox.mark_sent_many(batch))

    async def run(self, stopping: asyncio.Event) -> None:
        # Ends by itself after a stop (never cancelled: a cancelled flush would lose its batch).
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self._every)
            await self.flush()
