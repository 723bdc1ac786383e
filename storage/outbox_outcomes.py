"""The outbox's writes of what a send came to: sent (one statement per batch of sends), back
to pending for a retry or a 429, handed back unsent, failed. Only rows still `sending` change:
a row cancelled or moved while its send was out keeps what happened to it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Text, bindparam, func, update
from sqlalchemy.dialects import postgresql

from storage.records import DeliveryKind, DeliveryStatus
from storage.repository import SessionRepository, table_of
from storage.tables import DeliveryRow, UtcDateTime

_DELIVERIES = table_of(DeliveryRow)
# a sent row: (delivery id, message id, when, the photo URL the message shows or None)
SentRow = tuple[int, int | None, datetime, str | None]


_SENT_ROWS_PG = (
    func.unnest(
        bindparam("ids", type_=postgresql.ARRAY(BigInteger)),
        bindparam("message_ids", type_=postgresql.ARRAY(BigInteger)),
        bindparam("sent_ats", type_=postgresql.ARRAY(UtcDateTime())),
        bindparam("photos", type_=postgresql.ARRAY(Text())),
    )
    .table_valued("id", "message_id", "sent_at", "photo")
    .render_derived()
)
# UPDATE … FROM the rows: each of those ids still `sending` becomes sent, with its message id,
# time and photo.
_MARK_SENT_PG = (
    update(_DELIVERIES)
    .where(
        _DELIVERIES.c.id == _SENT_ROWS_PG.c.id,
        _DELIVERIES.c.status == DeliveryStatus.SENDING.value,
    )
    .values(
        status=DeliveryStatus.SENT.value,
        message_id=_SENT_ROWS_PG.c.message_id,
        sent_at=_SENT_ROWS_PG.c.sent_at,
        last_error=None,
        photo=_SENT_ROWS_PG.c.photo,
    )
    .execution_options(synchronize_session=False)
)
# SQLite: one statement run for each row by the driver itself (sqlite3's executemany, one hop
# to aiosqlite's thread), its parameters plain values already in the column's stored form, so
# that SQLAlchemy processes none of them. "+status": SQLite's way of saying "not by this
# column's index", so that each row is found by its primary key.
_MARK_SENT_SQLITE = (
    f"UPDATE {_DELIVERIES.name} SET status = '{DeliveryStatus.SENT.value}', message_id = ?, "
    f"sent_at = ?, last_error = NULL, photo = ? "
    f"WHERE id = ? AND +status = '{DeliveryStatus.SENDING.value}'"
)


class OutboxOutcomes(SessionRepository):
    async def mark_sent(
        self, delivery_id: int, message_id: int | None, now: datetime, photo: str | None = None
    ) -> None:
        await self.session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id == delivery_id, DeliveryRow.status == DeliveryStatus.SENDING)
            .values(
                status=DeliveryStatus.SENT,
                message_id=message_id,
                sent_at=now,
                last_error=None,
                photo=photo,
            )
        )

    async def mark_sent_many(self, sent: Sequence[SentRow]) -> None:
        """Record many successful sends (delivery id, message id, when, the photo the message
        shows: storage.tables.DeliveryRow.photo): on PostgreSQL one statement of one parameter
        set (an UPDATE … FROM the rows as arrays), built once; on
        SQLite the driver's executemany of one plain UPDATE. An executemany through SQLAlchemy
        cost more CPU per message than the claim (its per-row parameter processing, about 35 µs
        a row); an UPDATE … FROM a JSON list of the rows (json_each) cost SQLite more than the
        driver's executemany does (about 18 µs a row against 11, with the commit)."""
        if not sent:
            return
        if self._postgres:
            params: dict[str, Any] = {
                "ids": [i for i, _, _, _ in sent],
                "message_ids": [m for _, m, _, _ in sent],
                "sent_ats": [at for _, _, at, _ in sent],
                "photos": [photo for _, _, _, photo in sent],
            }
            await self.session.execute(_MARK_SENT_PG, params)
            return
        texts = _sqlite_times([at for _, _, at, _ in sent])
        rows = [(m, text, p, i) for (i, m, _, p), text in zip(sent, texts, strict=True)]
        connection = await self.session.connection()
        await connection.exec_driver_sql(_MARK_SENT_SQLITE, rows)

    async def record_photo(self, delivery_id: int, photo: str) -> None:
        """The sent post's photo is now `photo` (an edit replaced it)."""
        await self.session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id == delivery_id, DeliveryRow.kind == DeliveryKind.POST)
            .values(photo=photo)
        )

    async def mark_retry(self, delivery_id: int, at: datetime, error: str) -> None:
        await self.session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id == delivery_id, DeliveryRow.status == DeliveryStatus.SENDING)
            .values(status=DeliveryStatus.PENDING, next_attempt_at=at, last_error=error)
        )

    async def postpone(self, delivery_id: int, at: datetime, error: str) -> None:
        """Back to pending until `at` without counting the attempt (a 429 is not a failure)."""
        await self.session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id == delivery_id, DeliveryRow.status == DeliveryStatus.SENDING)
            .values(
                status=DeliveryStatus.PENDING,
                next_attempt_at=at,
                last_error=error,
                attempts=DeliveryRow.attempts - 1,
            )
        )

    async def defer_chat(self, chat_id: int, at: datetime) -> None:
        """Nothing more to this chat before `at` (its retry_after)."""
        await self.session.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.chat_id == chat_id,
                DeliveryRow.status == DeliveryStatus.PENDING,
                DeliveryRow.next_attempt_at < at,
            )
            .values(next_attempt_at=at)
        )

    async def mark_released(self, delivery_ids: Sequence[int]) -> None:
        """Give claimed-but-unsent deliveries back without counting the attempt."""
        if delivery_ids:
            await self.session.execute(
                update(DeliveryRow)
                .where(
                    DeliveryRow.id.in_(list(delivery_ids)),
                    DeliveryRow.status == DeliveryStatus.SENDING,
                )
                .values(status=DeliveryStatus.PENDING, attempts=DeliveryRow.attempts - 1)
            )

    async def mark_failed(self, delivery_id: int, error: str) -> None:
        await self.session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id == delivery_id, DeliveryRow.status == DeliveryStatus.SENDING)
            .values(status=DeliveryStatus.FAILED, last_error=error)
        )


def _sqlite_time(at: datetime) -> str:
    """Naive UTC in SQLAlchemy's SQLite format for storage.tables.UtcDateTime ("2026-12-01
    17:42:27.123456"), which the column's string order and its reading back rely on."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_times(times: Sequence[datetime]) -> list[str]:
    """_sqlite_time of each: a sent batch's times fall within a second or so, so the text up to
    the second is made once per second and each time's microseconds put after it (1.7 against
    4.4 µs a row here; at the paid cap that was half of the batch's CPU in the main thread)."""
    seconds: dict[float, str] = {}
    texts = []
    for at in times:
        utc = at.astimezone(UTC)
        second = utc.timestamp() // 1
        prefix = seconds.get(second)
        if prefix is None:
            prefix = seconds[second] = _sqlite_time(utc)[:19]
        texts.append(f"{prefix}.{utc.microsecond:06d}")
    return texts
