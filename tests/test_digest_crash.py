"""A digest slot survives a crash, with real processes: `feedbot run` killed with SIGKILL while
it assembles thousands of digests at a slot, then started again, queues each chat exactly one
digest for that period. On a SQLite file and on PostgreSQL (`database_url`)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bench.scheduled_seeding import FIRST_SUBSCRIBER, Shares, seed
from storage.database import create_engine, create_sessionmaker
from storage.state_keys import DIGEST_SLOTS_KEY
from storage.tables import DeliveryRow
from storage.unit_of_work import UnitOfWork
from tests.bot_process import BotProcess
from tests.fake_telegram.server import FakeTelegram
from tests.fan_out_process import channel_fake, start_run

pytestmark = pytest.mark.process

CHATS = 8000
ACTIVE = CHATS - CHATS // 20  # the seeding leaves every 20th chat inactive
ARTICLES = 300
RATE = 200


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with channel_fake(RATE) as fake:
        yield fake


def _seed(url: str, slot: datetime) -> None:
    """CHATS daily digests at `slot` (UTC), 20 hot stories opened half an hour before it, and the
    slot job's last run a minute before it: the next start owes every active chat a digest."""
    seed(url, ARTICLES, CHATS, slot, Shares(0.0, 1.0, slot.hour * 60 + slot.minute))

    async def stories() -> None:
        engine = create_engine(url)
        try:
            async with UnitOfWork(create_sessionmaker(engine)) as tx:
                hot = [i for i in range(1, ARTICLES + 1) if i * 7919 % 285 >= 150][:20]
                for article_id in hot:
                    await tx.stories.open_story(article_id, "", slot - timedelta(minutes=30))
                await tx.state.set(DIGEST_SLOTS_KEY, (slot - timedelta(minutes=1)).isoformat())
        finally:
            await engine.dispose()

    asyncio.run(stories())


def _digest_rows(url: str) -> Counter[tuple[int, str]]:
    """(chat, key) -> how many digest rows the outbox holds for it."""

    async def count() -> Counter[tuple[int, str]]:
        engine = create_engine(url)
        try:
            async with UnitOfWork(create_sessionmaker(engine)) as tx:
                rows = await tx.outbox.session.execute(
                    select(DeliveryRow.chat_id, DeliveryRow.alert_key).where(
                        DeliveryRow.alert_key.like("digest:%")
                    )
                )
                return Counter((int(chat), str(key)) for chat, key in rows)
        finally:
            await engine.dispose()

    return asyncio.run(count())


def _kill_mid_assembly(bot: BotProcess, url: str) -> None:
    """SIGKILL as soon as the first page of digests is in the outbox."""
    try:
        deadline = time.monotonic() + 60
        while not _digest_rows(url):
            assert time.monotonic() < deadline, f"no digest queued in 60 s:\n{bot.log[-3000:]}"
            time.sleep(0.005)  # polling a database row: there is no event
    finally:
        bot.kill()


def test_sigkill_mid_digest_assembly_then_restart_queues_each_chat_one_digest(
    fake: FakeTelegram, tmp_path: Path, database_url: str
) -> None:
    slot = (datetime.now(UTC) - timedelta(minutes=2)).replace(second=0, microsecond=0)
    _seed(database_url, slot)
    first_run = start_run(tmp_path, fake, database_url, rate=RATE, interval=3600)
    _kill_mid_assembly(first_run, database_url)
    first = _digest_rows(database_url)
    print(f"{len(first)} of {ACTIVE} digests queued at the kill")
    assert 0 < len(first) < ACTIVE, "the kill came too late to test anything"

    second = start_run(tmp_path, fake, database_url, rate=RATE, interval=3600)
    try:
        second.wait_for_log(r"digests: \d+ queued", timeout=60)
    finally:
        assert second.terminate() == 0, second.log[-3000:]
    rows = _digest_rows(database_url)
    key = f"digest:0:{slot:%Y-%m-%dT%H:%MZ}"
    assert set(rows) == {(FIRST_SUBSCRIBER + i, key) for i in range(1, CHATS + 1) if i % 20}
    assert set(rows.values()) == {1}  # one per chat and period, whatever the first run left
