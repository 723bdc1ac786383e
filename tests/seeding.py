"""A fan-out ready to drain, written straight into the database: articles queued for many
private chats. Shared by the crash, outage, priority and worker tests and by the benchmarks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from storage.database import create_engine, create_sessionmaker
from storage.records import ArticleData, ChatKind, DeliveryStatus
from storage.unit_of_work import Transaction, UnitOfWork, UowFactory

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
        await add_private_chats(tx, chats, now)
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


async def add_private_chats(tx: Transaction, chats: Iterable[int], now: datetime) -> None:
    for chat in chats:
        await tx.chats.ensure_chat(chat, ChatKind.PRIVATE, None, now)


async def queue_news(
    tx: Transaction, chats: Sequence[int], articles: int, now: datetime, *, heat: int
) -> None:
    """`articles` articles ("News 0" at https://example.com/news-0, and on), published `now`
    with this heat, each queued for every one of `chats` (which must exist)."""
    for n in range(articles):
        link = f"https://example.com/news-{n}"
        article_id = await tx.articles.add_article(
            ArticleData(url=link, link=link, title=f"News {n}", heat=heat, published_at=now),
            source_path=f"/news-{n}.md",
            source_mtime_ns=1,
            now=now,
        )
        await tx.outbox.enqueue(article_id, chats, now)


async def delivery_statuses(url: str) -> Counter[DeliveryStatus]:
    engine = create_engine(url)
    try:
        async with UnitOfWork(create_sessionmaker(engine)) as tx:
            return Counter(await tx.stats.delivery_counts())
    finally:
        await engine.dispose()
