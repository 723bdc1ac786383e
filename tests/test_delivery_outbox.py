"""The outbox's writes of the delivery engine's outcomes, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import event

from storage.records import DeliveryStatus
from tests.conftest import Db
from tests.seeding import seed_fan_out

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CHATS = list(range(100, 106))


async def test_sent_in_one_batch_each_row_gets_its_message_id_and_time(db: Db) -> None:
    await seed_fan_out(db.uow, CHATS)
    async with db.uow() as tx:
        claimed = await tx.outbox.claim_due(datetime.now(UTC), 4)
    east = timezone(timedelta(hours=2))  # any aware time is stored as UTC
    sent = [
        (claimed[0].id, 501, NOW.astimezone(east), "https://img.example/1.jpg"),
        (claimed[1].id, None, NOW + timedelta(microseconds=7), None),
        (claimed[2].id, 503, NOW + timedelta(seconds=1), None),
    ]
    async with db.uow() as tx:
        await tx.outbox.mark_sent_many(sent)
        await tx.outbox.mark_sent_many([])
    async with db.uow() as tx:
        rows = {d.id: d for chat in CHATS for d in await tx.outbox.deliveries_for(chat)}
    for delivery_id, message_id, at, photo in sent:
        row = rows[delivery_id]
        assert (row.status, row.message_id, row.sent_at) == (DeliveryStatus.SENT, message_id, at)
        assert row.photo == photo  # the photo the post shows
        assert row.sent_at is not None and row.sent_at.tzinfo == UTC
    assert rows[claimed[3].id].status is DeliveryStatus.SENDING  # claimed, not in the batch
    others = [d for d in rows.values() if d.id not in {c.id for c in claimed}]
    assert {d.status for d in others} == {DeliveryStatus.PENDING}


async def test_a_batch_keeps_each_time_across_second_and_day_boundaries(db: Db) -> None:
    """The batch's times are written a second's text at a time (storage.outbox_outcomes): each
    row still reads back as its own time, to the microsecond, whatever its offset."""
    await seed_fan_out(db.uow, CHATS)
    async with db.uow() as tx:
        claimed = await tx.outbox.claim_due(datetime.now(UTC), 6)
    midnight = datetime(2026, 12, 2, tzinfo=UTC)
    west = timezone(timedelta(hours=-5))
    times = [
        midnight - timedelta(microseconds=1),
        midnight,
        (midnight + timedelta(microseconds=1)).astimezone(west),
        midnight + timedelta(seconds=1, microseconds=-1),
        midnight - timedelta(seconds=1),
        (midnight - timedelta(microseconds=1)).astimezone(west),
    ]
    async with db.uow() as tx:
        await tx.outbox.mark_sent_many(
            [(d.id, 1, at, None) for d, at in zip(claimed, times, strict=True)]
        )
    async with db.uow() as tx:
        rows = {d.id: d for chat in CHATS for d in await tx.outbox.deliveries_for(chat)}
    assert [rows[d.id].sent_at for d in claimed] == times


async def test_a_batch_leaves_rows_that_are_no_longer_sending_alone(db: Db) -> None:
    await seed_fan_out(db.uow, CHATS[:2])
    async with db.uow() as tx:
        first, second = await tx.outbox.claim_due(datetime.now(UTC), 2)
    async with db.uow() as tx:
        await tx.outbox.mark_failed(first.id, "gone")
        await tx.outbox.mark_sent_many([(first.id, 1, NOW, None), (second.id, 2, NOW, None)])
    async with db.uow() as tx:
        statuses = {d.id: d.status for c in CHATS[:2] for d in await tx.outbox.deliveries_for(c)}
    assert statuses == {first.id: DeliveryStatus.FAILED, second.id: DeliveryStatus.SENT}


async def test_claims_and_give_backs_are_served_by_the_unsent_rows_indexes(db: Db) -> None:
    """The claim, the look for the next due row and a restart's give-back each find their rows
    through a partial index of the rows still owed (pending, or sending), none by the whole
    outbox: sent rows, the archive, are in neither index."""
    await seed_fan_out(db.uow, CHATS)
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "deliveries" in statement and not statement.startswith("EXPLAIN"):
            statements.append((statement, params))

    event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with db.uow() as tx:
            await tx.outbox.claim_due(datetime.now(UTC), 2, [CHATS[-1]])
            await tx.outbox.next_due_at([CHATS[-1]])
            await tx.outbox.release_in_flight()
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", capture)
    assert len(statements) == 3
    plans = []
    async with db.engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:  # a table this small is read whole otherwise: ask whether an index fits
            await connection.exec_driver_sql("SET enable_seqscan = off")
        explain = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
        for statement, params in statements:
            rows = await connection.exec_driver_sql(explain + statement, params)
            plans.append(" ".join(str(column) for row in rows for column in row))
    claim, next_due, release = plans
    assert "ix_deliveries_pending" in claim and "ix_deliveries_pending" in next_due
    assert "ix_deliveries_sending" in release
    for plan in plans:
        assert "Seq Scan on deliveries" not in plan
        assert "SCAN deliveries" not in plan.replace("SCAN deliveries USING INDEX", "")


async def test_a_batch_keeps_an_alerts_text_beside_each_posts_photo(db: Db) -> None:
    await seed_fan_out(db.uow, CHATS[:1])
    async with db.uow() as tx:
        await tx.outbox.enqueue_alert(CHATS[0], "channel#1:down", "<b>lost</b>", NOW)
        post, alert = sorted(await tx.outbox.claim_due(datetime.now(UTC), 2), key=lambda d: d.id)
    async with db.uow() as tx:
        await tx.outbox.mark_sent_many(
            [(post.id, 1, NOW, "https://img.example/1.jpg"), (alert.id, 2, NOW, None)]
        )
    async with db.uow() as tx:
        kept = {d.id: (d.body, d.photo) for d in await tx.outbox.deliveries_for(CHATS[0])}
    assert kept == {post.id: (None, "https://img.example/1.jpg"), alert.id: ("<b>lost</b>", None)}
