"""Which chats follow which topics, and the followers of an article's topics, a page at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy import literal as sqlalchemy_literal

from storage.records import Subscriber, topic_key
from storage.repository import IN_CHUNK, SessionRepository, in_chunks
from storage.tables import ChatRow, SubscriptionRow, TopicRow

_PAGE_ROWS = 5000  # rows fetched at a time when streaming a large result


class SubscriptionRepository(SessionRepository):
    async def followed_topic_ids(self, chat_id: int) -> set[int]:
        rows = await self.session.scalars(
            select(SubscriptionRow.topic_id).where(SubscriptionRow.chat_id == chat_id)
        )
        return set(rows)

    async def subscribe(self, chat_id: int, topic_ids: Iterable[int], now: datetime) -> set[int]:
        """Follow these topics; returns the ones the chat did not follow before."""
        wanted = set(topic_ids) - await self.followed_topic_ids(chat_id)
        if wanted:
            await self.session.execute(
                self._insert(SubscriptionRow)
                .values([{"chat_id": chat_id, "topic_id": t, "created_at": now} for t in wanted])
                .on_conflict_do_nothing()
            )
        return wanted

    async def unsubscribe(self, chat_id: int, topic_ids: Iterable[int] | None = None) -> set[int]:
        """Stop following these topics (None: all); returns the ones the chat did follow."""
        followed = await self.followed_topic_ids(chat_id)
        dropped = followed if topic_ids is None else followed & set(topic_ids)
        if dropped:
            await self.session.execute(
                delete(SubscriptionRow).where(
                    SubscriptionRow.chat_id == chat_id,
                    SubscriptionRow.topic_id.in_(list(dropped)),
                )
            )
        return dropped

    async def move_to_chat(self, old_id: int, new_id: int) -> None:
        """The old chat's subscriptions become the new one's (Transaction.migrate_chat)."""
        await self.session.execute(
            self._insert(SubscriptionRow)
            .from_select(
                ["chat_id", "topic_id", "created_at"],
                select(
                    sqlalchemy_literal(new_id), SubscriptionRow.topic_id, SubscriptionRow.created_at
                ).where(SubscriptionRow.chat_id == old_id),
            )
            .on_conflict_do_nothing()
        )
        await self.session.execute(delete(SubscriptionRow).where(SubscriptionRow.chat_id == old_id))

    async def subscribers(self, topic_names: Iterable[str]) -> list[Subscriber]:
        """Active chats following at least one of these topics, each once, with the topics it
        follows among them. A prefilter: jobs.fanout decides who gets an article."""
        return [sub async for page in self.subscriber_pages(topic_names) for sub in page]

    async def subscriber_pages(
        self, topic_names: Iterable[str], page_size: int = _PAGE_ROWS
    ) -> AsyncIterator[list[Subscriber]]:
        """The same, a page of chats at a time, in chat order: a fan-out to 100k chats never
        holds more than a page of them. Rows are streamed ordered by chat so each chat's rows
        arrive together, and the followed-topic sets (a handful of distinct ones) are shared
        between chats rather than built per chat."""
        keys = sorted({k for k in map(topic_key, topic_names) if k})
        if len(keys) > IN_CHUNK:
            # More topics than one IN list holds (never from one article): a chat may come from
            # several chunks, so merge them all first.
            yield await self._subscribers_merged(keys)
            return
        if not keys:
            return
        shared: dict[frozenset[str], frozenset[str]] = {}
        page: list[Subscriber] = []
        stmt = (
            select(ChatRow.id, ChatRow.min_heat, TopicRow.key)
            .join(SubscriptionRow, SubscriptionRow.chat_id == ChatRow.id)
            .join(TopicRow, TopicRow.id == SubscriptionRow.topic_id)
            .where(TopicRow.key.in_(keys), ChatRow.active.is_(True))
            .order_by(ChatRow.id)
            .execution_options(yield_per=_PAGE_ROWS)
        )
        result = await self.session.stream(stmt)
        current: tuple[int, int | None] | None = None
        followed: set[str] = set()
        async for rows in result.partitions():
            for chat_id, min_heat, key in rows:
                if current is not None and current[0] != chat_id:
                    page.append(_subscriber(current, followed, shared))
                    followed = set()
                    if len(page) >= page_size:
                        yield page
                        page = []
                current = (chat_id, min_heat)
                followed.add(key)
        if current is not None:
            page.append(_subscriber(current, followed, shared))
        if page:
            yield page

    async def _subscribers_merged(self, keys: Sequence[str]) -> list[Subscriber]:
        merged: dict[int, Subscriber] = {}
        for chunk in in_chunks(keys):
            async for page in self.subscriber_pages(chunk):
                for sub in page:
                    seen = merged.get(sub.chat_id)
                    merged[sub.chat_id] = (
                        sub
                        if seen is None
                        else Subscriber(
                            sub.chat_id, True, sub.min_heat, seen.topic_keys | sub.topic_keys
                        )
                    )
        return sorted(merged.values(), key=lambda sub: sub.chat_id)


def _subscriber(
    chat: tuple[int, int | None],
    followed: set[str],
    shared: dict[frozenset[str], frozenset[str]],
) -> Subscriber:
    keys = frozenset(followed)
    return Subscriber(chat[0], True, chat[1], shared.setdefault(keys, keys))
