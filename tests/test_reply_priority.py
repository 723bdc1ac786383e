"""A command is answered within about a second while a fan-out runs at the overall cap, and the
answer does not push the bot over that cap: the real Application, worker and rate limiter
against the fake enforcing Telegram's limits."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_telegram.server import FakeTelegram
from tests.live_bot import add_channel, bot_config, live_bot
from tests.seeding import seed_fan_out

CAP = 40
SUBSCRIBERS = 4 * CAP  # about four seconds of fan-out
FIRST = 700_000
USER = 42


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram(global_rate=CAP, auto_create_chats=True) as running:
        add_channel(running)
        yield running
    assert running.internal_errors == []


async def test_a_command_is_answered_promptly_during_a_fan_out_at_the_cap(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    config = bot_config(tmp_path, fake, delivery={"max_messages_per_second": CAP})
    async with live_bot(fake, config) as bot:
        await seed_fan_out(bot.svc.uow, range(FIRST, FIRST + SUBSCRIBERS))
        bot.svc.worker.wake()
        await fake.wait_for_async(
            lambda f: len(f.sent()) >= CAP, what="the fan-out to be a second under way"
        )
        latencies = []
        for _ in range(2):
            asked = time.monotonic()
            answer = await bot.ask(USER, USER, "/help")
            latencies.append(time.monotonic() - asked)
            assert "/topics" in answer
        in_fan_out = len([c for c in fake.sent() if c.chat_id and c.chat_id >= FIRST])
        await fake.wait_for_async(
            lambda f: len([c for c in f.sent() if c.chat_id and c.chat_id >= FIRST]) >= SUBSCRIBERS,
            timeout=30,
            what="the fan-out to finish",
        )
    assert in_fan_out < SUBSCRIBERS, "the answers came after the fan-out, not during it"
    assert max(latencies) < 1.0
    assert fake.count_429 == 0
