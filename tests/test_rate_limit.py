"""Replies pass the same gate as broadcasts: the real PTB bot against the fake enforcing
Telegram's limits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from telegram.error import RetryAfter
from telegram.ext import ExtBot

from bot.rate_limit import PacedRateLimiter, broadcast_send
from jobs.pacing import Pacer
from jobs.send_gate import SendGate
from tests.fake_telegram.server import FakeTelegram

CAP = 20


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    fake = FakeTelegram(global_rate=CAP, auto_create_chats=True).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
async def paced(fake: FakeTelegram) -> AsyncIterator[tuple[ExtBot[None], Pacer]]:
    pacer = Pacer(cap=CAP)
    bot: ExtBot[None] = ExtBot(
        fake.token, base_url=fake.base_url, rate_limiter=PacedRateLimiter(SendGate(pacer))
    )
    await bot.initialize()
    try:
        yield bot, pacer
    finally:
        await bot.shutdown()


async def test_a_burst_of_replies_stays_under_the_overall_cap(
    fake: FakeTelegram, paced: tuple[ExtBot[None], Pacer]
) -> None:
    bot, _ = paced
    await asyncio.gather(*(bot.send_message(1000 + n, "pong") for n in range(CAP + 10)))
    assert len(fake.sent()) == CAP + 10
    assert fake.count_429 == 0


async def test_an_unpaced_burst_is_refused(fake: FakeTelegram) -> None:
    """The control: the same burst without the limiter gets 429s, so the test above could fail."""
    bot: ExtBot[None] = ExtBot(fake.token, base_url=fake.base_url)
    await bot.initialize()
    try:
        results = await asyncio.gather(
            *(bot.send_message(1000 + n, "pong") for n in range(CAP + 10)),
            return_exceptions=True,
        )
    finally:
        await bot.shutdown()
    assert any(isinstance(r, RetryAfter) for r in results)


async def test_a_429_holds_that_chat_for_replies_and_broadcasts(
    fake: FakeTelegram, paced: tuple[ExtBot[None], Pacer]
) -> None:
    bot, pacer = paced
    fake.rate_limit(77, retry_after=1)
    with pytest.raises(RetryAfter):
        await bot.send_message(77, "pong")
    assert pacer.blocked_until(77) > 0  # the broadcast will not send there before it passes
    message = await bot.send_message(77, "pong")  # the limiter waits the second out
    assert message.text == "pong"
    assert fake.count_429 == 1


async def test_broadcast_sends_are_left_to_the_worker(
    fake: FakeTelegram, paced: tuple[ExtBot[None], Pacer]
) -> None:
    bot, pacer = paced
    with broadcast_send():
        await bot.send_message(5, "post")
    assert pacer.chat_ready_at(5) == 0  # not counted here: the worker counts its own sends
