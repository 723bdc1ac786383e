"""Which chats (and forum threads) follow which topics, and the followers of an article's topics,
a page at a time. A subscriber is (chat, thread); thread 0 is the chat itself."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Iterable, Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime

from sqlalchemy import BigInteger, Select, any_, bindparam, delete, func, select
from sqlalchemy import literal as sqlalchemy_literal
from sqlalchemy.dialects import postgresql

from storage.records import DigestMode, Subscriber, topic_key
from storage.repository import IN_CHUNK, SessionRepository, in_chunks
from storage.tables import ChatRow, ChatSettingsRow, SubscriptionRow, TopicRow

_PAGE_ROWS = 2500  # subscribers a page
# Rows fetched at a time from the followers' stream: the driver's buffer is alive beside the
# page being built and the one being fanned out, and costs little more in round trips smaller.
_FETCH_ROWS = 1000


class SubscriptionRepository(SessionRepository):
    async def followed_topic_ids(self, chat_id: int, thread_id: int = 0) -> set[int]:
        rows = await self.session.scalars(
            select(SubscriptionRow.topic_id).where(
                SubscriptionRow.chat_id == chat_id, SubscriptionRow.thread_id == thread_id
            )
        )
        return set(rows)

    async def followed_by_chats(
        self, chat_ids: Iterable[int]
    ) -> dict[tuple[int, int], dict[str, tuple[int, str]]]:
        """(chat, thread) -> topic key -> (topic id, name), for these chats: what the delivery
        worker needs to say which topic brought a post."""
        found: dict[tuple[int, int], dict[str, tuple[int, str]]] = {}
        for chunk in in_chunks(sorted(set(chat_ids))):
            rows = await self.session.execute(
                select(
                    SubscriptionRow.chat_id,
                    SubscriptionRow.thread_id,
                    TopicRow.id,
                    TopicRow.key,
                    TopicRow.name,
                )
                .join(TopicRow, TopicRow.id == SubscriptionRow.topic_id)
                .where(SubscriptionRow.chat_id.in_(list(chunk)))
            )
            for chat_id, thread_id, topic_id, key, name in rows:
                found.setdefault((chat_id, thread_id), {})[key] = (topic_id, name)
        return found

    async def subscribe(
        self, chat_id: int, topic_ids: Iterable[int], now: datetime, thread_id: int = 0
    ) -> set[int]:
        """Follow these topics; returns the ones the subscriber did not follow before."""
        wanted = set(topic_ids) - await self.followed_topic_ids(chat_id, thread_id)
        if wanted:
            await self.session.execute(
                self._insert(SubscriptionRow)
                .values(
                    [
                        {
                            "chat_id": chat_id,
                            "thread_id": thread_id,
                            "topic_id": t,
                            "created_at": now,
                        }
                        for t in wanted
                    ]
                )
                .on_conflict_do_nothing()
            )
        return wanted

    async def unsubscribe(
        self, chat_id: int, topic_ids: Iterable[int] | None = None, thread_id: int = 0
    ) -> set[int]:
        """Stop following these topics (None: all); returns the ones the subscriber did follow."""
        followed = await self.followed_topic_ids(chat_id, thread_id)
        dropped = followed if topic_ids is None else followed & set(topic_ids)
        if dropped:
            await self.session.execute(
                delete(SubscriptionRow).where(
                    SubscriptionRow.chat_id == chat_id,
                    SubscriptionRow.thread_id == thread_id,
                    SubscriptionRow.topic_id.in_(list(dropped)),
                )
            )
        return dropped

    async def move_to_chat(self, old_id: int, new_id: int) -> None:
        """The old chat's subscriptions become the new one's (Transaction.migrate_chat)."""
        await self.session.execute(
            self._insert(SubscriptionRow)
            .from_select(
                ["chat_id", "thread_id", "topic_id", "created_at"],
                select(
                    sqlalchemy_literal(new_id),
                    SubscriptionRow.thread_id,
                    SubscriptionRow.topic_id,
                    SubscriptionRow.created_at,
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
        shared: dict[tuple[str, ...], frozenset[str]] = {}
        pending: list[tuple[int, int, frozenset[str]]] = []
        # On the connection: Core rows, without the ORM's per-row loading (a third of the time)
        connection = await self.session.connection()
        result = await connection.stream(_follower_rows(keys))
        chat, thread = 0, -1  # no subscriber has thread -1
        followed: list[str] = []  # in topic id order: equal sets are equal tuples
        async for rows in result.partitions():
            for chat_id, thread_id, key in rows:
                if chat_id != chat or thread_id != thread:
                    if followed:
                        pending.append((chat, thread, _shared(followed, shared)))
                        followed = []
                    if len(pending) >= page_size:
                        page, pending = await self._with_settings(pending), []
                        if page:
                            yield page
                    chat, thread = chat_id, thread_id
                followed.append(key)
        if followed:
            pending.append((chat, thread, _shared(followed, shared)))
        if pending and (page := await self._with_settings(pending)):
            yield page

    async def _with_settings(
        self, followers: list[tuple[int, int, frozenset[str]]]
    ) -> list[Subscriber]:
        """A page of followers (chat, thread, topic keys) as subscribers, each with its settings:
        read for the page's chats in one query, since most have none (the defaults). A thread
        that was closed (settings inactive) is left out."""
        chats = list(dict.fromkeys(chat for chat, _, _ in followers))
        if self._postgres:
            wanted = ChatSettingsRow.chat_id == any_(
                bindparam("chats", chats, type_=postgresql.ARRAY(BigInteger))
            )
        else:
            ids = func.json_each(bindparam("chats", json.dumps(chats))).table_valued("value")
            wanted = ChatSettingsRow.chat_id.in_(select(ids.c.value))
        settings = {
            (row[0], row[1]): row
            for row in await (await self.session.connection()).execute(
                select(*_SETTINGS_COLUMNS).where(wanted)
            )
        }
        page: list[Subscriber] = []
        for chat_id, thread_id, keys in followers:
            chosen = settings.get((chat_id, thread_id))
            if chosen is None:
                page.append(Subscriber(chat_id, True, None, keys, thread_id))
            elif chosen.active:
                row = (chat_id, thread_id, chosen.min_heat, chosen.filters, chosen.digest)
                page.append(subscriber_of((*row, chosen.paused_until), keys, {}))
        return page

    async def _subscribers_merged(self, keys: Sequence[str]) -> list[Subscriber]:
        merged: dict[tuple[int, int], Subscriber] = {}
        for chunk in in_chunks(keys):
            async for page in self.subscriber_pages(chunk):
                for sub in page:
                    seen = merged.get((sub.chat_id, sub.thread_id))
                    merged[(sub.chat_id, sub.thread_id)] = (
                        sub
                        if seen is None
                        else dataclasses.replace(sub, topic_keys=seen.topic_keys | sub.topic_keys)
                    )
        return [merged[pair] for pair in sorted(merged)]


def subscriber_of(
    row: tuple[int, int, int | None, str | None, str | None, datetime | None],
    followed: AbstractSet[str],
    shared: dict[frozenset[str], frozenset[str]],
) -> Subscriber:
    """A subscriber from its (chat, thread, min heat, filters, digest, paused until) and the
    topic keys it follows; equal key sets are one shared frozenset."""
    chat_id, thread_id, min_heat, filters, digest, paused = row
    keys = frozenset(followed)
    return Subscriber(
        chat_id,
        True,
        min_heat,
        shared.setdefault(keys, keys),
        thread_id=thread_id,
        filters=filters or "",
        digest=(digest or DigestMode.OFF) != DigestMode.OFF,
        paused_until=paused,
    )


def _shared(followed: list[str], shared: dict[tuple[str, ...], frozenset[str]]) -> frozenset[str]:
    """Equal topic-key sets as one frozenset: a handful of distinct ones among 100k chats."""
    seen = tuple(followed)
    keys = shared.get(seen)
    if keys is None:
        keys = shared[seen] = frozenset(followed)
    return keys


_SETTINGS_COLUMNS = (
    ChatSettingsRow.chat_id,
    ChatSettingsRow.thread_id,
    ChatSettingsRow.min_heat,
    ChatSettingsRow.filters,
    ChatSettingsRow.digest,
    ChatSettingsRow.paused_until,
    ChatSettingsRow.active,
)


def _follower_rows(keys: list[str]) -> Select[int, int, str]:
    """(chat, thread, topic key) of the active chats following these topic keys, ordered by
    chat; their settings are read a page at a time (SubscriptionRepository._with_settings)."""
    return (
        select(SubscriptionRow.chat_id, SubscriptionRow.thread_id, TopicRow.key)
        .join(ChatRow, SubscriptionRow.chat_id == ChatRow.id)
        .join(TopicRow, TopicRow.id == SubscriptionRow.topic_id)
        .where(TopicRow.key.in_(keys), ChatRow.active.is_(True))
        .order_by(SubscriptionRow.chat_id, SubscriptionRow.thread_id, SubscriptionRow.topic_id)
        .execution_options(yield_per=_FETCH_ROWS)
    )
