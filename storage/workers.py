"""Delivery workers on one PostgreSQL database: their heartbeats, the chats each one holds, and
giving back what a dead one had claimed.

Times are the database server's (`now()`), never a worker's own clock: workers on several
machines then agree on who is alive whatever their clocks say."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, insert, select, update

from storage.records import DeliveryStatus
from storage.repository import SessionRepository
from storage.tables import ChatLeaseRow, DeliveryRow, DeliveryWorkerRow, status_is


@dataclass(frozen=True, slots=True)
class Reaped:
    """What a reap gave back: the workers found dead, and their claimed deliveries."""

    workers: tuple[str, ...]
    deliveries: int


class WorkerRepository(SessionRepository):
    async def register(self, worker_id: str, role: str, host: str, pid: int) -> None:
        await self.session.execute(
            insert(DeliveryWorkerRow).values(
                id=worker_id,
                role=role,
                host=host,
                pid=pid,
                started_at=func.now(),
                heartbeat_at=func.now(),
            )
        )

    async def beat(self, worker_id: str) -> bool:
        """Refresh the heartbeat; False when the row is gone (this worker was reaped)."""
        found = await self.session.execute(
            update(DeliveryWorkerRow)
            .where(DeliveryWorkerRow.id == worker_id)
            .values(heartbeat_at=func.now())
            .returning(DeliveryWorkerRow.id)
        )
        return found.first() is not None

    async def live_count(self, silence: timedelta) -> int:
        count = await self.session.scalar(
            select(func.count()).where(DeliveryWorkerRow.heartbeat_at > func.now() - silence)
        )
        return int(count or 0)

    async def forget_role(self, role: str, keep: str) -> None:
        """Drop the rows of earlier processes of `role` but `keep`: `feedbot run` holds the
        database lease, so when a new one starts, every earlier one is dead."""
        await self.session.execute(
            delete(DeliveryWorkerRow).where(
                DeliveryWorkerRow.role == role, DeliveryWorkerRow.id != keep
            )
        )

    async def reap(self, silence: timedelta) -> Reaped:
        """Forget workers whose heartbeat is older than `silence`, and give back every claim and
        chat of a worker no longer registered (dead, stopped uncleanly, or from before the
        workers existed) so that any live worker can send it."""
        dead = list(
            (
                await self.session.scalars(
                    delete(DeliveryWorkerRow)
                    .where(DeliveryWorkerRow.heartbeat_at <= func.now() - silence)
                    .returning(DeliveryWorkerRow.id)
                )
            ).all()
        )
        registered = select(DeliveryWorkerRow.id)
        released = await self.session.execute(
            update(DeliveryRow)
            .where(
                status_is(DeliveryStatus.SENDING),
                DeliveryRow.claimed_by.is_(None) | DeliveryRow.claimed_by.not_in(registered),
            )
            .values(status=DeliveryStatus.PENDING, claimed_by=None)
            .returning(DeliveryRow.id)
        )
        count = len(released.all())
        await self.session.execute(
            delete(ChatLeaseRow).where(ChatLeaseRow.worker_id.not_in(registered))
        )
        return Reaped(tuple(dead), count)

    async def deregister(self, worker_id: str) -> None:
        """A clean stop: the worker has written or handed back all it claimed."""
        await self.session.execute(delete(ChatLeaseRow).where(ChatLeaseRow.worker_id == worker_id))
        await self.session.execute(
            delete(DeliveryWorkerRow).where(DeliveryWorkerRow.id == worker_id)
        )
