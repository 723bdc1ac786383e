"""Crash safety of a fan-out, with real processes: SIGKILL mid-way then restart completes it
with duplicates bounded by the sends in flight; SIGTERM mid-way exits 0 and loses nothing. Each
on a SQLite file and on PostgreSQL (`database_url`)."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.records import DeliveryStatus
from tests.bot_process import BotProcess
from tests.fake_telegram.server import FakeTelegram
from tests.fan_out_process import channel_fake, seed_queued_fan_out, start_run
from tests.seeding import delivery_statuses

pytestmark = pytest.mark.process

SUBSCRIBERS = range(5000, 5300)
RATE = 100


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with channel_fake(RATE) as fake:
        yield fake


def _statuses(url: str) -> Counter[DeliveryStatus]:
    return asyncio.run(delivery_statuses(url))


def _received(fake: FakeTelegram) -> Counter[int]:
    return Counter(
        c.chat_id for c in fake.sent() if c.chat_id is not None and c.chat_id in SUBSCRIBERS
    )


def _start(tmp_path: Path, fake: FakeTelegram, url: str) -> BotProcess:
    return start_run(tmp_path, fake, url, rate=RATE, interval=60)


def _run_until_100_reached(tmp_path: Path, fake: FakeTelegram, url: str) -> BotProcess:
    """Starts the bot on the seeded fan-out and returns once 100 subscribers have their post,
    killing the bot if they never do."""
    bot = _start(tmp_path, fake, url)
    try:
        fake.wait_for(
            lambda f: len(_received(f)) >= 100, timeout=30, what="100 subscribers reached"
        )
    except BaseException:
        bot.kill()
        raise
    return bot


def test_sigkill_mid_fan_out_then_restart_completes_it(
    fake: FakeTelegram, tmp_path: Path, database_url: str
) -> None:
    url = seed_queued_fan_out(database_url, SUBSCRIBERS)
    _run_until_100_reached(tmp_path, fake, url).kill()
    before = _received(fake)
    assert len(before) < len(SUBSCRIBERS), "the kill came too late to test anything"

    second = _start(tmp_path, fake, url)
    try:
        fake.wait_for(
            lambda f: len(_received(f)) == len(SUBSCRIBERS), timeout=60, what="all subscribers"
        )
        second.wait_for_log(r"delivery worker started")
    finally:
        assert second.terminate() == 0, second.log[-3000:]
    received = _received(fake)
    assert set(received) == set(SUBSCRIBERS)  # nothing lost
    duplicates = sum(received.values()) - len(SUBSCRIBERS)
    in_flight = re.search(r"(\d+) deliveries were in flight", second.log)
    # Only sends that were in flight at the kill can repeat, each at most once.
    assert duplicates <= (int(in_flight.group(1)) if in_flight else 0)
    assert max(received.values()) <= 2
    counts = _statuses(url)
    assert counts[DeliveryStatus.SENT] == len(SUBSCRIBERS)
    assert counts.get(DeliveryStatus.SENDING, 0) == 0 and counts.get(DeliveryStatus.PENDING, 0) == 0


def test_sigterm_mid_fan_out_exits_0_and_restart_sends_each_exactly_once(
    fake: FakeTelegram, tmp_path: Path, database_url: str
) -> None:
    url = seed_queued_fan_out(database_url, SUBSCRIBERS)
    first = _run_until_100_reached(tmp_path, fake, url)
    code = first.terminate()
    assert code == 0, first.log[-3000:]
    counts = _statuses(url)
    assert counts.get(DeliveryStatus.SENDING, 0) == 0  # everything claimed was sent or handed back
    assert counts[DeliveryStatus.SENT] == len(_received(fake)) < len(SUBSCRIBERS)

    second = _start(tmp_path, fake, url)
    try:
        fake.wait_for(
            lambda f: len(_received(f)) == len(SUBSCRIBERS), timeout=60, what="all subscribers"
        )
    finally:
        assert second.terminate() == 0, second.log[-3000:]
    assert "in flight" not in second.log
    assert set(_received(fake).values()) == {1}
