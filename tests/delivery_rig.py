"""The delivery worker as the delivery tests run it: a python-telegram-bot Bot on the fake Bot
API, the worker running against a test's database, and the wait for a chat's rows to settle."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Bot
from telegram.request import BaseRequest

from bot.sender import TelegramSender
from jobs.backoff import Backoff
from jobs.delivery import DeliveryWorker, RetryPolicy, Sender
from jobs.pacing import Pacer
from jobs.send_gate import SendGate
from storage.records import Delivery, DeliveryStatus
from tests.conftest import Db
from tests.fake_telegram.server import FakeTelegram

FINAL = frozenset({DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.CANCELLED})


@asynccontextmanager
async def fake_bot(fake: FakeTelegram, request: BaseRequest) -> AsyncIterator[Bot]:
    bot = Bot(fake.token, base_url=fake.base_url, request=request)
    await bot.initialize()
    try:
        yield bot
    finally:
        await bot.shutdown()


@asynccontextmanager
async def running_worker(
    db: Db, sender: Sender, gate: SendGate, *, retry: RetryPolicy, idle_poll: float
) -> AsyncIterator[DeliveryWorker]:
    worker = DeliveryWorker(db.uow, sender, gate, retry=retry, idle_poll=idle_poll)
    task = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        await worker.stop()
        await task


@asynccontextmanager
async def telegram_worker(
    db: Db, fake: FakeTelegram, request: BaseRequest, *, max_attempts: int
) -> AsyncIterator[DeliveryWorker]:
    """The worker sending through the real TelegramSender and Bot to the fake, at 30 a second,
    its retries quick."""
    retry = RetryPolicy(max_attempts=max_attempts, backoff=Backoff(base=0.05, cap=0.2))
    async with (
        fake_bot(fake, request) as bot,
        running_worker(
            db, TelegramSender(bot), SendGate(Pacer(cap=30)), retry=retry, idle_poll=0.5
        ) as worker,
    ):
        yield worker


async def settled(db: Db, chat_id: int, count: int, *, limit: float = 15.0) -> list[Delivery]:
    """Waits until the chat has `count` deliveries, all in a final state (row writes follow the
    send, so the test must wait for them)."""
    async with asyncio.timeout(limit):
        while True:
            async with db.uow() as tx:
                rows = await tx.outbox.deliveries_for(chat_id)
            if len(rows) == count and all(d.status in FINAL for d in rows):
                return rows
            await asyncio.sleep(0.02)  # a database row has no event to wait on
