"""The fault matrix: every answer Telegram can give, through the real python-telegram-bot Bot,
the real TelegramSender and the delivery worker, against the fake Bot API over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from telegram import Bot

from bot.sender import TelegramSender
from bot.transport import AiohttpRequest
from jobs.backoff import Backoff
from jobs.delivery import DeliveryWorker, RetryPolicy
from jobs.pacing import Pacer
from jobs.send_gate import SendGate
from storage.records import ArticleData, ChatKind, DeliveryStatus
from tests.conftest import Db
from tests.fake_telegram.server import FakeTelegram

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
FINAL = {DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.CANCELLED}


@dataclass
class Rig:
    db: Db
    fake: FakeTelegram
    worker: DeliveryWorker

    async def enqueue(
        self, chats: list[int], *, image: str | None = None, url: str = "https://example.com/a"
    ) -> int:
        async with self.db.uow() as tx:
            for chat in chats:
                kind = ChatKind.PRIVATE if chat > 0 else ChatKind.SUPERGROUP
                await tx.chats.ensure_chat(chat, kind, None, NOW)
            article_id = await tx.articles.add_article(
                ArticleData(
                    url=url,
                    link=url,
                    title="Chips & models",
                    excerpt="Text.",
                    heat=150,
                    published_at=NOW,
                    image_url=image,
                    topics=("AI",),
                ),
                source_path="/a.md",
                source_mtime_ns=1,
                now=NOW,
            )
            await tx.outbox.enqueue(article_id, chats, NOW)
        self.worker.wake()
        return article_id

    async def settled(self, chat: int, count: int = 1) -> list[tuple[DeliveryStatus, str | None]]:
        async with asyncio.timeout(15):
            while True:
                async with self.db.uow() as tx:
                    rows = await tx.outbox.deliveries_for(chat)
                if len(rows) == count and all(d.status in FINAL for d in rows):
                    return [(d.status, d.last_error) for d in rows]
                await asyncio.sleep(0.02)  # a database row has no event to wait on


@pytest.fixture
async def rig(db: Db, fake_telegram: FakeTelegram) -> AsyncIterator[Rig]:
    request = AiohttpRequest(read_timeout=1.0, connect_timeout=2.0)
    bot = Bot(fake_telegram.token, base_url=fake_telegram.base_url, request=request)
    await bot.initialize()
    worker = DeliveryWorker(
        db.uow,
        TelegramSender(bot),
        SendGate(Pacer(cap=30)),
        retry=RetryPolicy(max_attempts=3, backoff=Backoff(base=0.05, cap=0.2)),
        idle_poll=0.5,
    )
    task = asyncio.create_task(worker.run())
    try:
        yield Rig(db, fake_telegram, worker)
    finally:
        await worker.stop()
        await task
        await bot.shutdown()


async def test_sent_posts_carry_the_rendered_post(rig: Rig) -> None:
    rig.fake.add_chat(101)
    await rig.enqueue([101], image="https://img.example.com/ok.jpg")
    assert await rig.settled(101) == [(DeliveryStatus.SENT, None)]
    (call,) = rig.fake.sent(101)
    assert call.method == "sendPhoto" and call.text and call.text.startswith("Chips & models")


async def test_429_waits_retry_after_then_delivers(rig: Rig) -> None:
    rig.fake.add_chat(102)
    rig.fake.rate_limit(102, retry_after=1)
    await rig.enqueue([102])
    assert await rig.settled(102) == [(DeliveryStatus.SENT, None)]
    refused, accepted = rig.fake.calls_of("sendMessage")
    assert refused.error_code == 429
    assert accepted.time - refused.time >= 1.0  # nothing went to that chat before retry_after


@pytest.mark.parametrize(
    "description",
    [
        "Forbidden: bot was blocked by the user",
        "Forbidden: user is deactivated",
        "Forbidden: bot was kicked from the supergroup chat",
    ],
)
async def test_403_deactivates_the_chat_and_cancels_its_deliveries(
    rig: Rig, description: str
) -> None:
    chat = -1000103 if "kicked" in description else 103
    rig.fake.add_chat(chat, "supergroup" if chat < 0 else "private")
    rig.fake.block_chat(chat, description)
    await rig.enqueue([chat], url="https://example.com/1")
    await rig.enqueue([chat], url="https://example.com/2")
    statuses = await rig.settled(chat, 2)
    assert [s for s, _ in statuses] == [DeliveryStatus.CANCELLED] * 2
    assert len([c for c in rig.fake.calls if c.chat_id == chat]) == 1  # never tried again
    async with rig.db.uow() as tx:
        found = await tx.chats.chat(chat)
    assert found is not None and not found.active


async def test_chat_not_found_deactivates(rig: Rig) -> None:
    await rig.enqueue([104])  # the fake has never heard of chat 104
    assert [s for s, _ in await rig.settled(104)] == [DeliveryStatus.CANCELLED]


async def test_migrated_group_is_followed_to_the_new_id(rig: Rig) -> None:
    rig.fake.add_chat(-105, "group")
    rig.fake.add_chat(-1000000000105, "supergroup")
    rig.fake.migrate_chat(-105, -1000000000105)
    await rig.enqueue([-105])
    assert [s for s, _ in await rig.settled(-1000000000105)] == [DeliveryStatus.SENT]
    assert len(rig.fake.sent(-1000000000105)) == 1


async def test_refused_photo_goes_out_as_text(rig: Rig) -> None:
    rig.fake.add_chat(106)
    rig.fake.break_photo_url(
        "https://img.example.com/gone.jpg", "Bad Request: failed to get HTTP URL content"
    )
    await rig.enqueue([106], image="https://img.example.com/gone.jpg")
    assert await rig.settled(106) == [(DeliveryStatus.SENT, None)]
    (call,) = rig.fake.sent(106)
    assert call.method == "sendMessage"


async def test_other_400_fails_with_the_reason_and_is_not_retried(rig: Rig) -> None:
    rig.fake.add_chat(107)
    rig.fake.fail(
        "sendMessage", 107, status=400, description="Bad Request: message to reply not found"
    )
    await rig.enqueue([107])
    ((status, error),) = await rig.settled(107)
    assert status is DeliveryStatus.FAILED and error and "reply not found" in error.lower()
    assert len([c for c in rig.fake.calls if c.chat_id == 107]) == 1


async def test_5xx_is_retried_then_delivered(rig: Rig) -> None:
    rig.fake.add_chat(108)
    rig.fake.fail("sendMessage", 108, times=2, status=502, description="Bad Gateway")
    await rig.enqueue([108])
    assert await rig.settled(108) == [(DeliveryStatus.SENT, None)]
    assert [c.ok for c in rig.fake.calls_of("sendMessage")] == [False, False, True]


async def test_5xx_forever_fails_after_bounded_attempts(rig: Rig) -> None:
    rig.fake.add_chat(109)
    rig.fake.fail("sendMessage", 109, times=None, status=500, description="Internal Server Error")
    await rig.enqueue([109])
    ((status, error),) = await rig.settled(109)
    assert status is DeliveryStatus.FAILED and error
    assert len(rig.fake.calls_of("sendMessage")) == 3


async def test_timeout_is_retried_at_most_once_more(rig: Rig) -> None:
    rig.fake.add_chat(110)
    rig.fake.delay_responses(1.5, method="sendMessage")  # longer than the bot's read timeout
    await rig.enqueue([110])
    ((status, error),) = await rig.settled(110)
    # Both attempts reached Telegram (the fake records them): that is the bounded duplicate.
    assert status is DeliveryStatus.FAILED and error and "timed out" in error
    assert len(rig.fake.calls_of("sendMessage")) == 2
