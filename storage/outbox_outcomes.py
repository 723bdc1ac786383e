"""The outbox's writes of what a send came to: sent (one statement per batch of sends), back
to pending for a retry or a 429, handed back unsent, failed. Only rows still `sending` change:
a row cancelled or moved while its send was out keeps what happened to it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, String, bindparam, func, literal_column, update
from sqlalchemy.dialects import postgresql

from storage.records import DeliveryStatus
from storage.repository import SessionRepository, table_of
from storage.tables import DeliveryRow, UtcDateTime

_DELIVERIES = table_of(DeliveryRow)


def _mark_sent_from(id_: Any, message_id: Any, sent_at: Any, status: Any) -> Any:
    """UPDATE … FROM the rows `id_` and the others come from: each of those ids still
    `sending` becomes sent, with its message id and time."""
    return (
        update(_DELIVERIES)
        .where(_DELIVERIES.c.id == id_, status == DeliveryStatus.SENDING.value)
        .values(
            status=DeliveryStatus.SENT.value,
            message_id=message_id,
            sent_at=sent_at,
            last_error=None,
        )
        .execution_options(synchronize_session=False)
    )


_SENT_ROWS_PG = (
    func.unnest(
        bindparam("ids", type_=postgresql.ARRAY(BigInteger)),
        bindparam("message_ids", type_=postgresql.ARRAY(BigInteger)),
        bindparam("sent_ats", type_=postgresql.ARRAY(UtcDateTime())),
    )
    .table_valued("id", "message_id", "sent_at")
    .render_derived()
)
_MARK_SENT_PG = _mark_sent_from(
    _SENT_ROWS_PG.c.id, _SENT_ROWS_PG.c.message_id, _SENT_ROWS_PG.c.sent_at, _DELIVERIES.c.status
)
_SENT_ROWS_SQLITE = func.json_each(bindparam("rows", type_=String)).table_valued("value")
_MARK_SENT_SQLITE = _mark_sent_from(
    func.json_extract(_SENT_ROWS_SQLITE.c.value, "$[0]"),
    func.json_extract(_SENT_ROWS_SQLITE.c.value, "$[1]"),
    func.json_extract(_SENT_ROWS_SQLITE.c.value, "$[2]"),
    # "+status": SQLite's way of saying "not by this column's index". With the index on
    # status, its planner scanned every sending row once per row of the list (3 s for 100
    # rows among 50k); without, it looks each id up by its primary key.
    literal_column(f"+{_DELIVERIES.name}.status"),
)
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


class OutboxOutcomes(SessionRepository):
    async def mark_sent(self, delivery_id: int, message_id: int | None, now: datetime) -> None:
        await self.session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id == delivery_id, DeliveryRow.status == DeliveryStatus.SENDING)
            .values(status=DeliveryStatus.SENT, message_id=message_id, sent_at=now, last_error=None)
        )

    async def mark_sent_many(self, sent: Sequence[tuple[int, int | None, datetime]]) -> None:
        """Record many successful sends (delivery id, message id, when) in one statement of
        one parameter set (an UPDATE … FROM the rows as arrays on PostgreSQL, as a JSON list
        on SQLite), built once: an executemany of one row per send cost more CPU per message
        than the claim (SQLAlchemy's per-row parameter processing, about 35 µs a row)."""
        if not sent:
            return
        if self._postgres:
            params: dict[str, Any] = {
                "ids": [i for i, _, _ in sent],
                "message_ids": [m for _, m, _ in sent],
                "sent_ats": [at for _, _, at in sent],
            }
            await self.session.execute(_MARK_SENT_PG, params)
            return
        # Naive UTC in SQLAlchemy's SQLite format (storage.tables.UtcDateTime), which the
        # column's string order and its reading back rely on.
        rows = [(i, m, at.astimezone(UTC).strftime(_SQLITE_TIME)) for i, m, at in sent]
        await self.session.execute(_MARK_SENT_SQLITE, {"rows": json.dumps(rows)})

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
