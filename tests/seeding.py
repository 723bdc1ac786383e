"""A fan-out ready to drain, written straight into the database: one article queued for many
private chats. Shared by the crash, outage and priority tests and by bench/fanout.py."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from storage.database import create_engine, create_sessionmaker
from storage.records import ArticleData, ChatKind, DeliveryStatus
from storage.unit_of_work import UnitOfWork, UowFactory

BIG_NEWS = ArticleData(
    url="https://example.com/big",
    link="https://example.com/big",
    title="Big news",
    excerpt="Something happened.",
    heat=200,
    topics=("AI",),
)


async def seed_fan_out(uow: UowFactory, chats: Sequence[int], *, heat: int = 200) -> int:
    """Queue BIG_NEWS (with this heat, published now) for `chats`; returns the article id."""
    now = datetime.now(UTC)
    async with uow() as tx:
        article_id = await tx.articles.add_article(
            replace(BIG_NEWS, heat=heat, published_at=now),
            source_path="/seed.md",
            source_mtime_ns=1,
            now=now,
        )
        for chat in chats:
            await tx.chats.ensure_chat(chat, ChatKind.PRIVATE, None, now)
        await tx.outbox.enqueue(article_id, chats, now)
    return article_id


async def seed_fan_out_at(url: str, chats: Sequence[int], *, heat: int = 200) -> int:
    """The same, for a database no engine is open on yet (a bot process will use it)."""
    engine = create_engine(url)
    try:
        sessions = create_sessionmaker(engine)
        return await seed_fan_out(lambda: UnitOfWork(sessions), chats, heat=heat)
    finally:
        await engine.dispose()


async def delivery_statuses(url: str) -> Counter[DeliveryStatus]:
    engine = create_engine(url)
    try:
        async with UnitOfWork(create_sessionmaker(engine)) as tx:
            return Counter(await tx.stats.delivery_counts())
    finally:
        await engine.dispose()
