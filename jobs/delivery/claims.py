"""How a delivery worker claims: alone (SQLite, or one process), or as one of several workers on
one PostgreSQL database (`feedbot run` and any number of `feedbot worker`).

Several workers share three things through the database, each with one rule here:
- the rows: a claim takes due rows FOR UPDATE SKIP LOCKED, marked with the worker's id;
- the chats: a worker sends only to chats it holds (chat_leases) and gives a chat back once it
  has nothing more for it and the chat's interval since its last send has passed, so the next
  holder starts clean and Telegram's per-chat limits hold as they do in one process;
- the cap: each worker paces at cap ÷ live workers (heartbeats); a worker that joins waits a
  heartbeat and a rolling window before its first claim, so the others have shrunk their share
  by then and the sum never goes over the cap.

A worker silent for WORKER_SILENCE seconds is dead: the first live worker to notice gives its
claims and chats back (storage.workers.WorkerRepository.reap)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from jobs.pacing import WINDOW, Pacer
from storage.errors import DB_UNAVAILABLE
from storage.records import Delivery
from storage.unit_of_work import Transaction, UowFactory

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0
# Five missed heartbeats: a loaded machine or a slow database does not make a live worker look
# dead, and a killed one's claims still come back within about ten seconds.
WORKER_SILENCE = timedelta(seconds=10)


class Claims(Protocol):
    async def start(self) -> None:
        """Before the first claim: give back what dead processes left claimed."""

    def ready_at(self) -> float:
        """Monotonic time before which the worker must not claim."""

    async def claim(
        self, tx: Transaction, now: datetime, limit: int, skip: list[int]
    ) -> list[Delivery]:
        """In the caller's transaction, as its first statement."""

    async def next_due(self, tx: Transaction, skip: list[int]) -> datetime | None: ...

    def chat_idle(self, chat_id: int, free_at: float) -> None:
        """Nothing more is claimed for the chat; another worker may have it after `free_at`."""

    async def stop(self) -> None:
        """After the worker wrote or handed back everything it claimed."""


class SoleClaims:
    """One process per database claims alone (the lease guarantees it)."""

    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    async def start(self) -> None:
        async with self._uow() as tx:
            released = await tx.outbox.release_in_flight()
        _log_released(released)

    def ready_at(self) -> float:
        return 0.0

    async def claim(
        self, tx: Transaction, now: datetime, limit: int, skip: list[int]
    ) -> list[Delivery]:
        return await tx.outbox.claim_due(now, limit, skip)

    async def next_due(self, tx: Transaction, skip: list[int]) -> datetime | None:
        return await tx.outbox.next_due_at(skip)

    def chat_idle(self, chat_id: int, free_at: float) -> None:
        pass

    async def stop(self) -> None:
        pass


class SharedClaims:
    """One of several delivery workers on a PostgreSQL database."""

    def __init__(
        self,
        uow: UowFactory,
        pacer: Pacer,
        role: str,
        *,
        heartbeat: float = HEARTBEAT_SECONDS,
        silence: timedelta = WORKER_SILENCE,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._uow = uow
        self._pacer = pacer
        self._cap = pacer.cap  # the configured cap, shared by all live workers
        self.role = role
        host = socket.gethostname()
        self.worker_id = f"{role}:{host[:32]}:{os.getpid()}:{secrets.token_hex(3)}"
        self._host = host
        self._heartbeat = heartbeat
        self._silence = silence
        self._monotonic = monotonic
        self._ready_at = 0.0
        self._idle: dict[int, float] = {}  # chat -> when it may be given back
        self._beating: asyncio.Task[None] | None = None
        self.live = 1

    async def start(self) -> None:
        async with self._uow() as tx:
            await tx.workers.register(self.worker_id, self.role, self._host, os.getpid())
            if self.role == "run":
                # This process holds the database lease: every earlier `run` is dead.
                await tx.workers.forget_role("run", keep=self.worker_id)
        await self._reap()
        live = await self._share()
        log.info(
            "delivery worker %s joined: %d live on this database, %g messages/s each",
            self.worker_id,
            live,
            self._pacer.cap,
        )
        if live > 1:
            # The others shrink their share at their next heartbeat; their sends of the last
            # rolling second still count after that.
            self._ready_at = self._monotonic() + self._heartbeat + WINDOW
        self._beating = asyncio.create_task(self._keep_alive(), name="heartbeat")

    def ready_at(self) -> float:
        return self._ready_at

    async def claim(
        self, tx: Transaction, now: datetime, limit: int, skip: list[int]
    ) -> list[Delivery]:
        # Chats are given back in a transaction of their own, committed before the claim's
        # (which has run no statement yet): a claim then holds row locks only on leases it
        # takes, and two claims cannot deadlock.
        due = [chat for chat, at in self._idle.items() if at <= self._monotonic()]
        if due:
            async with self._uow() as release:
                await release.claims.release_chats(self.worker_id, due)
            for chat in due:
                del self._idle[chat]
        batch = await tx.claims.claim_due_as(self.worker_id, now, limit, skip)
        for delivery in batch:
            self._idle.pop(delivery.chat_id, None)
        return batch

    async def next_due(self, tx: Transaction, skip: list[int]) -> datetime | None:
        return await tx.claims.next_due_for(self.worker_id, skip)

    def chat_idle(self, chat_id: int, free_at: float) -> None:
        self._idle[chat_id] = free_at

    async def _keep_alive(self) -> None:
        """Heartbeats, the cap's share, reaping the dead: until `stop`."""
        while True:
            await asyncio.sleep(self._heartbeat)
            try:
                await self._beat()
            except DB_UNAVAILABLE as exc:
                log.warning("heartbeat failed (%s); trying again", type(exc).__name__)
            except Exception:
                # A heartbeat that stopped for good would get this live worker taken for dead
                # and its claims sent twice: log it and keep beating.
                log.exception("heartbeat failed; trying again")

    async def _beat(self) -> None:
        async with self._uow() as tx:
            alive = await tx.workers.beat(self.worker_id)
            if not alive:
                # Silent for too long (a suspended host, a long outage): another worker gave
                # back what this one had claimed. Its outcomes are still written (a row another
                # worker took meanwhile may go out twice); it goes on as a new member.
                log.error(
                    "worker %s was taken for dead and its claims given back; rejoining",
                    self.worker_id,
                )
                await tx.workers.register(self.worker_id, self.role, self._host, os.getpid())
        await self._reap()
        await self._share()

    async def _reap(self) -> None:
        async with self._uow() as tx:
            reaped = await tx.workers.reap(self._silence)
        if reaped.workers:
            log.warning(
                "delivery worker(s) %s stopped sending heartbeats for %.0f s: taken for dead",
                ", ".join(reaped.workers),
                self._silence.total_seconds(),
            )
        _log_released(reaped.deliveries)

    async def _share(self) -> int:
        async with self._uow() as tx:
            live = max(1, await tx.workers.live_count(self._silence))
        if live != self.live:
            log.info("%d delivery workers live: %g messages/s each", live, self._cap / live)
        self.live = live
        self._pacer.share(self._cap / live)
        return live

    async def stop(self) -> None:
        """After the worker wrote or handed back everything it claimed."""
        if self._beating is not None:
            self._beating.cancel()  # mid-heartbeat is fine: that transaction just rolls back
            with contextlib.suppress(asyncio.CancelledError):
                await self._beating
        try:
            async with self._uow() as tx:
                await tx.workers.deregister(self.worker_id)
        except DB_UNAVAILABLE as exc:
            # Its claims come back once the heartbeat is old enough, as after a crash.
            log.warning("could not deregister worker %s (%s)", self.worker_id, type(exc).__name__)


def _log_released(released: int) -> None:
    if released:
        log.warning(
            "%d deliveries were in flight when a delivery process stopped; sending them again "
            "(each may duplicate at most once)",
            released,
        )
