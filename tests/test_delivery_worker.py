"""The delivery engine against a scripted Sender (the jobs-level protocol), on real databases:
every outcome Telegram can produce lands in the right row state."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from jobs.backoff import Backoff
from jobs.delivery import (
    ChatGone,
    ChatMoved,
    DeliveryWorker,
    EditOutcome,
    Rejected,
    RetryAfter,
    RetryPolicy,
    SendOutcome,
    Sent,
    Transient,
)
from jobs.delivery.outcomes import Outgoing
from jobs.pacing import Pacer
from jobs.send_gate import SendGate
from storage.records import Article, ArticleData, ChatKind, DeliveryStatus
from tests.conftest import Db
from tests.delivery_rig import running_worker, settled

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@dataclass
class ScriptedSender:
    """Answers each chat's sends from a script (then Sent); records what was attempted."""

    script: dict[int, list[SendOutcome]] = field(default_factory=lambda: defaultdict(list))
    attempts: list[tuple[int, int]] = field(default_factory=list)  # (chat, article)
    also_named: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)  # (chat, also)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def send(self, chat_id: int, post: Outgoing) -> SendOutcome:
        article, also = post.article, post.also
        outcome = (
            self.script[chat_id].pop(0) if self.script[chat_id] else Sent(len(self.attempts) + 1)
        )
        async with self.changed:
            self.attempts.append((chat_id, article.id))
            self.also_named.append((chat_id, tuple(a.id for a in also)))
            self.changed.notify_all()
        return outcome

    async def edit(
        self,
        chat_id: int,
        message_id: int,
        article: Article,
        also: Sequence[Article],
        shown_photo: str | None = None,
    ) -> EditOutcome:
        return await self.send(chat_id, Outgoing(article, tuple(also)))

    async def wait_for(self, predicate: Callable[[], bool], limit: float = 10.0) -> None:
        async with asyncio.timeout(limit), self.changed:
            await self.changed.wait_for(predicate)


@dataclass
class Engine:
    db: Db
    sender: ScriptedSender
    worker: DeliveryWorker

    async def statuses(self, chat_id: int) -> list[DeliveryStatus]:
        async with self.db.uow() as tx:
            return [d.status for d in await tx.outbox.deliveries_for(chat_id)]

    async def settled(self, chat_id: int, count: int) -> list[DeliveryStatus]:
        return [d.status for d in await settled(self.db, chat_id, count, limit=10)]


@pytest.fixture
async def engine(db: Db) -> AsyncIterator[Engine]:
    sender = ScriptedSender()
    pacer = Pacer(cap=500, private_interval=0.01, group_interval=0.01)
    retry = RetryPolicy(max_attempts=3, backoff=Backoff(base=0.02, cap=0.05))
    async with running_worker(db, sender, SendGate(pacer), retry=retry, idle_poll=0.2) as worker:
        yield Engine(db, sender, worker)


async def _enqueue(db: Db, chats: list[int], articles: int = 1) -> list[int]:
    ids = []
    async with db.uow() as tx:
        for chat in chats:
            kind = ChatKind.PRIVATE if chat > 0 else ChatKind.GROUP
            await tx.chats.ensure_chat(chat, kind, None, NOW)
        for n in range(articles):
            url = f"https://example.com/{n}"
            article_id = await tx.articles.add_article(
                ArticleData(url=url, link=url, title=f"T{n}", heat=150, published_at=NOW),
                source_path="/x",
                source_mtime_ns=1,
                now=NOW,
            )
            await tx.outbox.enqueue(article_id, chats, NOW)
            ids.append(article_id)
    return ids


async def test_sends_everything_once(engine: Engine) -> None:
    await _enqueue(engine.db, [1, 2, 3], articles=2)
    engine.worker.wake()
    for chat in (1, 2, 3):
        assert await engine.settled(chat, 2) == [DeliveryStatus.SENT] * 2
    assert sorted(engine.sender.attempts) == sorted((c, a) for c in (1, 2, 3) for a in (1, 2))
    async with engine.db.uow() as tx:
        assert all(d.message_id for d in await tx.outbox.deliveries_for(1))


async def test_a_post_names_the_outlets_its_story_has_when_it_is_claimed(engine: Engine) -> None:
    first, second, third = await _enqueue(engine.db, [], articles=3)
    async with engine.db.uow() as tx:
        story = await tx.stories.open_story(first, "v1", NOW)
        await tx.stories.join(story, [first, second])
        await tx.chats.ensure_chat(11, ChatKind.PRIVATE, None, NOW)
        await tx.outbox.enqueue(first, [11], NOW)
    engine.worker.wake()
    assert await engine.settled(11, 1) == [DeliveryStatus.SENT]
    async with engine.db.uow() as tx:  # another outlet joins the story after that claim
        await tx.stories.join(story, [third])
        await tx.chats.ensure_chat(12, ChatKind.PRIVATE, None, NOW)
        await tx.outbox.enqueue(first, [12], NOW)
    engine.worker.wake()
    assert await engine.settled(12, 1) == [DeliveryStatus.SENT]
    assert engine.sender.also_named == [(11, (second,)), (12, (second, third))]


async def test_retry_after_waits_then_sends(engine: Engine) -> None:
    engine.sender.script[5] = [RetryAfter(0.3)]
    await _enqueue(engine.db, [5])
    engine.worker.wake()
    assert await engine.settled(5, 1) == [DeliveryStatus.SENT]
    assert engine.sender.attempts == [(5, 1), (5, 1)]
    async with engine.db.uow() as tx:
        (delivery,) = await tx.outbox.deliveries_for(5)
    assert delivery.attempts == 1  # a 429 is not a failed attempt


async def test_gone_chat_is_deactivated_and_its_other_deliveries_cancelled(engine: Engine) -> None:
    engine.sender.script[6] = [ChatGone("Forbidden: bot was blocked by the user")]
    await _enqueue(engine.db, [6, 7], articles=3)
    engine.worker.wake()
    assert await engine.settled(7, 3) == [DeliveryStatus.SENT] * 3
    statuses = await engine.settled(6, 3)
    assert statuses.count(DeliveryStatus.CANCELLED) == 3
    assert [c for c, _ in engine.sender.attempts].count(6) == 1
    async with engine.db.uow() as tx:
        chat = await tx.chats.chat(6)
    assert chat is not None and not chat.active


async def test_rejected_fails_without_retry(engine: Engine) -> None:
    engine.sender.script[8] = [Rejected("Bad Request: message is too long")]
    await _enqueue(engine.db, [8])
    engine.worker.wake()
    assert await engine.settled(8, 1) == [DeliveryStatus.FAILED]
    assert len(engine.sender.attempts) == 1


async def test_transient_errors_retry_with_backoff_then_fail(engine: Engine) -> None:
    engine.sender.script[9] = [Transient("502")] * 5
    engine.sender.script[10] = [Transient("502"), Transient("network error")]
    await _enqueue(engine.db, [9, 10])
    engine.worker.wake()
    assert await engine.settled(10, 1) == [DeliveryStatus.SENT]
    assert await engine.settled(9, 1) == [DeliveryStatus.FAILED]
    assert [c for c, _ in engine.sender.attempts].count(9) == 3  # max_attempts
    async with engine.db.uow() as tx:
        (failed,) = await tx.outbox.deliveries_for(9)
    assert failed.last_error == "502"


async def test_timeouts_are_retried_less(engine: Engine) -> None:
    engine.sender.script[11] = [Transient("timed out", maybe_delivered=True)] * 3
    await _enqueue(engine.db, [11])
    engine.worker.wake()
    assert await engine.settled(11, 1) == [DeliveryStatus.FAILED]
    assert [c for c, _ in engine.sender.attempts].count(11) == 2


async def test_migrated_group_is_sent_to_its_new_id(engine: Engine) -> None:
    engine.sender.script[-12] = [ChatMoved(-10012)]
    await _enqueue(engine.db, [-12])
    engine.worker.wake()
    assert await engine.settled(-10012, 1) == [DeliveryStatus.SENT]
    assert engine.sender.attempts == [(-12, 1), (-10012, 1)]


async def test_stop_hands_back_unsent_work(db: Db) -> None:
    sender = ScriptedSender()
    # One message per 10 s to the group: after the first, the rest wait for their turn.
    worker = DeliveryWorker(db.uow, sender, SendGate(Pacer(cap=30, group_interval=10)))
    await _enqueue(db, [-20], articles=3)
    task = asyncio.create_task(worker.run())
    await sender.wait_for(lambda: len(sender.attempts) == 1)
    await worker.stop()
    await task
    async with db.uow() as tx:
        statuses = sorted(d.status for d in await tx.outbox.deliveries_for(-20))
        counts = await tx.stats.delivery_counts()
    assert statuses == [DeliveryStatus.PENDING, DeliveryStatus.PENDING, DeliveryStatus.SENT]
    assert DeliveryStatus.SENDING not in counts
