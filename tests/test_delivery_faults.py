"""The fault matrix: every answer Telegram can give, through the real python-telegram-bot Bot,
the real TelegramSender and the delivery worker, against the fake Bot API over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bot.transport import AiohttpRequest
from jobs.delivery import DeliveryWorker
from storage.records import ArticleData, ChatKind, DeliveryStatus
from tests.conftest import Db
from tests.delivery_rig import settled, telegram_worker
from tests.fake_telegram.errors import BLOCKED_BY_USER
from tests.fake_telegram.server import FakeTelegram

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@dataclass
class Rig:
    db: Db
    fake: FakeTelegram
    worker: DeliveryWorker

    async def enqueue(
        self,
        chats: list[int],
        *,
        image: str | None = None,
        urls: tuple[str, ...] = ("https://example.com/a",),
    ) -> None:
        """A post of one article per url to each chat, queued at once (one transaction)."""
        async with self.db.uow() as tx:
            for chat in chats:
                kind = ChatKind.PRIVATE if chat > 0 else ChatKind.SUPERGROUP
                await tx.chats.ensure_chat(chat, kind, None, NOW)
            for url in urls:
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
                    source_path=f"/{url.rsplit('/', 1)[-1]}.md",
                    source_mtime_ns=1,
                    now=NOW,
                )
                await tx.outbox.enqueue(article_id, chats, NOW)
        self.worker.wake()

    async def settled(self, chat: int, count: int = 1) -> list[tuple[DeliveryStatus, str | None]]:
        return [(d.status, d.last_error) for d in await settled(self.db, chat, count)]


@asynccontextmanager
async def running_rig(db: Db, fake: FakeTelegram, read_timeout: float) -> AsyncIterator[Rig]:
    request = AiohttpRequest(read_timeout=read_timeout, connect_timeout=2.0)
    async with telegram_worker(db, fake, request, max_attempts=3) as worker:
        yield Rig(db, fake, worker)


@pytest.fixture
async def rig(db: Db, fake_telegram: FakeTelegram) -> AsyncIterator[Rig]:
    async with running_rig(db, fake_telegram, read_timeout=1.0) as rig:
        yield rig


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
    # Both queued before the first send: a post queued in a later transaction could come after
    # the 403 was handled, and the test's ensure_chat (a sign of life) would reactivate the chat.
    await rig.enqueue([chat], urls=("https://example.com/1", "https://example.com/2"))
    statuses = await rig.settled(chat, 2)
    assert [s for s, _ in statuses] == [DeliveryStatus.CANCELLED] * 2
    assert len([c for c in rig.fake.calls if c.chat_id == chat]) == 1  # never tried again
    async with rig.db.uow() as tx:
        found = await tx.chats.chat(chat)
    assert found is not None and not found.active


@pytest.fixture
async def patient_rig(db: Db, fake_telegram: FakeTelegram) -> AsyncIterator[Rig]:
    """A rig whose requests wait 5 s for an answer: slower answers than a chat's interval."""
    async with running_rig(db, fake_telegram, read_timeout=5.0) as rig:
        yield rig


async def test_a_chat_gets_no_second_send_while_its_first_is_unanswered(patient_rig: Rig) -> None:
    """The 403 takes longer than the chat's interval (1 s): the next post waits for it, not for
    the interval, and is cancelled with the chat instead of sent."""
    rig = patient_rig
    rig.fake.add_chat(111)
    rig.fake.fail("sendMessage", 111, status=403, description=BLOCKED_BY_USER, delay=1.6)
    rig.fake.block_chat(111)
    await rig.enqueue([111], urls=("https://example.com/1", "https://example.com/2"))
    statuses = await rig.settled(111, 2)
    assert [s for s, _ in statuses] == [DeliveryStatus.CANCELLED] * 2
    # The fake records a call when it answers: a second post sent meanwhile would be the one
    # recorded by now (its 403 comes at once), the slow first answer later.
    (call,) = [c for c in rig.fake.calls if c.chat_id == 111]
    assert "https://example.com/1" in str(call.params)


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
