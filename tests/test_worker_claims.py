"""Several delivery workers on one PostgreSQL database, at the storage level: claims skip rows
another claim holds, chats stay with one worker, a dead worker's claims come back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from storage.records import DeliveryStatus
from tests.conftest import Db, open_db
from tests.seeding import add_private_chats, queue_news

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CHATS = list(range(100, 110))
SILENCE = timedelta(seconds=10)


@pytest.fixture
async def pg(postgres_url: str) -> AsyncIterator[Db]:
    async with open_db(postgres_url) as opened:
        yield opened


async def _seed(db: Db, articles: int = 2) -> None:
    """`articles` articles queued for every chat in CHATS, due now."""
    async with db.uow() as tx:
        await add_private_chats(tx, CHATS, NOW)
        await queue_news(tx, CHATS, articles, NOW, heat=150)


async def _register(db: Db, *workers: str) -> None:
    async with db.uow() as tx:
        for worker in workers:
            await tx.workers.register(worker, "worker", "host", 1)


async def test_a_claim_in_progress_is_skipped_not_waited_for(pg: Db) -> None:
    await _seed(pg)
    await _register(pg, "a", "b")
    async with pg.uow() as first:
        mine = await first.claims.claim_due_as("a", NOW, 5)
        # `a` has not committed: its rows are locked and its chats not yet visible as leased.
        async with asyncio.timeout(5), pg.uow() as second:
            theirs = await second.claims.claim_due_as("b", NOW, 100)
    assert len(mine) == 5
    assert {d.id for d in mine}.isdisjoint(d.id for d in theirs)
    # Never one chat to two workers, even while the first claim was uncommitted.
    assert {d.chat_id for d in mine}.isdisjoint(d.chat_id for d in theirs)
    assert all(d.status is DeliveryStatus.SENDING for d in mine + theirs)


async def test_a_chat_held_by_one_worker_is_not_claimed_by_another(pg: Db) -> None:
    await _seed(pg, articles=2)
    await _register(pg, "a", "b")
    async with pg.uow() as tx:
        mine = await tx.claims.claim_due_as("a", NOW, 3)  # article 0 for the first 3 chats
    held = {d.chat_id for d in mine}
    async with pg.uow() as tx:
        theirs = await tx.claims.claim_due_as("b", NOW, 100)
    assert held.isdisjoint(d.chat_id for d in theirs)
    assert len(theirs) == 2 * (len(CHATS) - 3)
    # The holder itself goes on claiming its chats' next deliveries.
    async with pg.uow() as tx:
        # What is left pending goes to a's chats: due for a, nothing b may claim.
        assert await tx.claims.next_due_for("a") == NOW
        assert await tx.claims.next_due_for("b") is None
        more = await tx.claims.claim_due_as("a", NOW, 100)
    assert {d.chat_id for d in more} == held and len(more) == 3
    async with pg.uow() as tx:
        for d in mine + more:
            await tx.outbox.mark_sent(d.id, 1, NOW)
        await tx.claims.release_chats("a", held)
        assert await tx.claims.leases() == {d.chat_id: "b" for d in theirs}


async def test_a_dead_workers_claims_and_chats_come_back(pg: Db) -> None:
    await _seed(pg, articles=1)
    await _register(pg, "dead", "alive")
    async with pg.uow() as tx:
        claimed = await tx.claims.claim_due_as("dead", NOW, 4)
        assert await tx.workers.live_count(SILENCE) == 2
    async with pg.uow() as tx:
        nothing = await tx.workers.reap(SILENCE)
    assert nothing.workers == () and nothing.deliveries == 0
    async with pg.uow() as tx:
        await tx.workers.session.execute(
            text(
                "UPDATE delivery_workers SET heartbeat_at = now() - interval '11 seconds'"
                " WHERE id = 'dead'"
            )
        )
    async with pg.uow() as tx:
        assert await tx.workers.live_count(SILENCE) == 1
        reaped = await tx.workers.reap(SILENCE)
        assert not await tx.workers.beat("dead")  # it would have to rejoin
        assert await tx.claims.leases() == {}
    assert reaped.workers == ("dead",) and reaped.deliveries == 4
    async with pg.uow() as tx:
        again = await tx.claims.claim_due_as("alive", NOW, 100)
    assert {d.id for d in claimed} <= {d.id for d in again}
    assert len(again) == len(CHATS)


async def test_a_new_run_takes_back_what_the_previous_run_claimed_at_once(pg: Db) -> None:
    await _seed(pg, articles=1)
    await _register(pg, "worker")
    async with pg.uow() as tx:
        await tx.workers.register("run-1", "run", "host", 1)
        await tx.claims.claim_due_as("run-1", NOW, 3)
        await tx.claims.claim_due_as("worker", NOW, 2)
    async with pg.uow() as tx:
        await tx.workers.register("run-2", "run", "host", 2)
        await tx.workers.forget_role("run", keep="run-2")  # run-2 holds the lease
        reaped = await tx.workers.reap(SILENCE)
    assert reaped.deliveries == 3  # the live worker keeps its two
    async with pg.uow() as tx:
        assert set((await tx.claims.leases()).values()) == {"worker"}
