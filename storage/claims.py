"""Claims of one delivery worker among several on one PostgreSQL database: which due
deliveries it takes, and which chats it holds while it sends to them (chat affinity)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import BigInteger, String, any_, bindparam, delete, func, select, update
from sqlalchemy import literal as sqlalchemy_literal
from sqlalchemy.dialects import postgresql

from storage.mapping import delivery_record
from storage.records import Delivery, DeliveryStatus
from storage.repository import SessionRepository, table_of
from storage.tables import ChatLeaseRow, DeliveryRow, status_is

_LEASES = table_of(ChatLeaseRow)


class ClaimRepository(SessionRepository):
    async def claim_due_as(
        self, worker_id: str, now: datetime, limit: int, skip_chats: Iterable[int] = ()
    ) -> list[Delivery]:
        """Claim up to `limit` due deliveries for `worker_id`, and the chats they go to.

        Rows: `FOR UPDATE SKIP LOCKED`, so concurrent claims never wait for each other and never
        take one row twice. Chats: a row is taken only if its chat is free or already this
        worker's (chat_leases), so no chat is sent to by two workers at once and the per-chat
        pace of one process holds. The chat_leases primary key makes that exclusive whatever
        the snapshots saw; pg_try_advisory_xact_lock on the chat id first lets a claim skip a
        chat another claim is taking this instant instead of waiting for its commit."""
        held_elsewhere = (
            select(ChatLeaseRow.chat_id)
            .where(ChatLeaseRow.chat_id == DeliveryRow.chat_id, ChatLeaseRow.worker_id != worker_id)
            .exists()
        )
        stmt = (
            select(DeliveryRow.id, DeliveryRow.chat_id)
            .where(
                status_is(DeliveryStatus.PENDING),
                DeliveryRow.next_attempt_at <= now,
                ~held_elsewhere,
            )
            .order_by(DeliveryRow.next_attempt_at, DeliveryRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        skip = list(skip_chats)
        if skip:
            stmt = stmt.where(DeliveryRow.chat_id.not_in(skip))
        candidates = (await self.session.execute(stmt)).all()
        if not candidates:
            return []
        held = await self._lease_chats(worker_id, sorted({chat for _, chat in candidates}))
        ids = [id_ for id_, chat in candidates if chat in held]
        if not ids:
            return []
        claimed = await self.session.scalars(
            update(DeliveryRow)
            .where(DeliveryRow.id.in_(ids), DeliveryRow.status == DeliveryStatus.PENDING)
            .values(
                status=DeliveryStatus.SENDING,
                attempts=DeliveryRow.attempts + 1,
                claimed_by=worker_id,
            )
            .returning(DeliveryRow)
            .execution_options(synchronize_session=False)
        )
        rows = sorted(claimed.all(), key=lambda r: (r.next_attempt_at, r.id))
        return [delivery_record(r) for r in rows]

    async def _lease_chats(self, worker_id: str, chats: list[int]) -> set[int]:
        """Of `chats`, those this worker holds now (newly leased or already its own). The
        advisory lock's key is the chat id itself: Telegram's ids stay far below the database
        lease's key (storage.lease.ADVISORY_LOCK_KEY)."""
        wanted = (
            func.unnest(bindparam("chats", chats, type_=postgresql.ARRAY(BigInteger)))
            .table_valued("chat_id")
            .render_derived()
        )
        new = postgresql.insert(_LEASES).from_select(
            ["chat_id", "worker_id"],
            select(wanted.c.chat_id, sqlalchemy_literal(worker_id, String)).where(
                func.pg_try_advisory_xact_lock(wanted.c.chat_id)
            ),
        )
        upsert = new.on_conflict_do_update(
            index_elements=[_LEASES.c.chat_id],
            set_={"worker_id": new.excluded.worker_id},
            where=_LEASES.c.worker_id == worker_id,
        ).returning(_LEASES.c.chat_id)
        return {chat for (chat,) in await self.session.execute(upsert)}

    async def next_due_for(self, worker_id: str, skip_chats: Iterable[int] = ()) -> datetime | None:
        """When the next delivery this worker may claim is due (chats held elsewhere left out:
        their holder sends them)."""
        held_elsewhere = (
            select(ChatLeaseRow.chat_id)
            .where(ChatLeaseRow.chat_id == DeliveryRow.chat_id, ChatLeaseRow.worker_id != worker_id)
            .exists()
        )
        stmt = select(func.min(DeliveryRow.next_attempt_at)).where(
            status_is(DeliveryStatus.PENDING), ~held_elsewhere
        )
        skip = list(skip_chats)
        if skip:
            stmt = stmt.where(DeliveryRow.chat_id.not_in(skip))
        return await self.session.scalar(stmt)

    async def release_chats(self, worker_id: str, chats: Iterable[int]) -> None:
        """Chats this worker has nothing more for (and whose interval has passed): any worker
        may take them now."""
        ids = list(chats)
        if ids:
            await self.session.execute(
                delete(ChatLeaseRow).where(
                    ChatLeaseRow.worker_id == worker_id,
                    ChatLeaseRow.chat_id
                    == any_(bindparam("chats", ids, type_=postgresql.ARRAY(BigInteger))),
                )
            )

    async def leases(self) -> dict[int, str]:
        """chat -> the worker holding it (for tests and diagnostics)."""
        rows = await self.session.execute(select(ChatLeaseRow.chat_id, ChatLeaseRow.worker_id))
        return {chat: worker for chat, worker in rows}
