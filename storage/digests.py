"""The digest chats (a chat, or a forum thread, whose /digest is hourly or daily), a page at a
time in (chat, thread) order, with what jobs.digests needs to pick and word each one's digest:
its schedule, its fan-out settings and followed topics, its chat's language."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select, true, tuple_
from sqlalchemy.sql.elements import ColumnElement

from storage.records import DeliveryKind, DeliveryStatus, DigestMode, Subscriber
from storage.repository import SessionRepository, in_chunks
from storage.subscriptions import subscriber_of
from storage.tables import ChatRow, ChatSettingsRow, DeliveryRow, SubscriptionRow, TopicRow

# Rows that mean the chat has (or is about to have) the post; a cancelled or failed one never
# reached it.
_RECEIVED = (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.SENT)


@dataclass(frozen=True, slots=True)
class DigestSubscriber:
    # As fan-out sees a subscriber taking posts as they come (digest False): the digest's
    # choice of posts is the instant fan-out's (jobs.fanout.recipients).
    subscriber: Subscriber
    mode: DigestMode
    minute: int  # daily: minutes after local midnight
    timezone: str
    language: str | None  # the chat's Chat.reader_language: /language's, else its app's


class DigestRepository(SessionRepository):
    async def digest_page(
        self, after: tuple[int, int] | None, limit: int
    ) -> list[DigestSubscriber]:
        """Up to `limit` active digest subscribers after `after` (a (chat, thread) pair; None:
        from the start), in order. Subscribers that follow nothing are included (with no topics)."""
        pair = tuple_(ChatSettingsRow.chat_id, ChatSettingsRow.thread_id)
        return await self._subscribers(
            pair > tuple_(*after) if after is not None else true(), limit
        )

    async def digest_subscriber(self, chat_id: int, thread_id: int) -> DigestSubscriber | None:
        """The one (chat, thread), as digest_page reads it; None when it takes no digest."""
        settings = ChatSettingsRow
        mine = and_(settings.chat_id == chat_id, settings.thread_id == thread_id)
        found = await self._subscribers(mine, 1)
        return found[0] if found else None

    async def _subscribers(
        self, condition: ColumnElement[bool], limit: int
    ) -> list[DigestSubscriber]:
        settings = ChatSettingsRow
        stmt = (
            select(
                settings.chat_id,
                settings.thread_id,
                settings.min_heat,
                settings.filters,
                settings.digest,
                settings.digest_minute,
                settings.timezone,
                settings.paused_until,
                func.coalesce(ChatRow.language, ChatRow.app_language),  # Chat.reader_language
            )
            .join(ChatRow, ChatRow.id == settings.chat_id)
            .where(
                settings.digest != DigestMode.OFF.value,
                settings.active.is_(True),
                ChatRow.active.is_(True),
                condition,
            )
            .order_by(settings.chat_id, settings.thread_id)
            .limit(limit)
        )
        rows = (await self.session.execute(stmt)).all()
        topics = await self._topic_keys([(r[0], r[1]) for r in rows])
        shared: dict[frozenset[str], frozenset[str]] = {}
        page = []
        for chat_id, thread_id, min_heat, filters, mode, minute, tz, paused, language in rows:
            followed = topics.get((chat_id, thread_id), set())
            # digest None: as fan-out sees a subscriber taking posts as they come
            row = (chat_id, thread_id, min_heat, filters, None, paused)
            page.append(
                DigestSubscriber(
                    subscriber_of(row, followed, shared),
                    DigestMode(mode),
                    minute or 0,
                    tz or "UTC",
                    language,
                )
            )
        return page

    async def posts_received(
        self, chat_ids: Sequence[int], since: datetime
    ) -> set[tuple[int, int, int]]:
        """(chat, thread, article) for each post queued to these chats since `since` and not
        cancelled or failed: what a chat that just turned to digests already has. By chat (its
        index) and time, so the cost follows the chats' own recent posts, not the period's."""
        found: set[tuple[int, int, int]] = set()
        for chunk in in_chunks(sorted(set(chat_ids))):
            rows = await self.session.execute(
                select(DeliveryRow.chat_id, DeliveryRow.thread_id, DeliveryRow.article_id).where(
                    DeliveryRow.chat_id.in_(list(chunk)),
                    DeliveryRow.kind == DeliveryKind.POST.value,
                    DeliveryRow.status.in_([s.value for s in _RECEIVED]),
                    DeliveryRow.created_at >= since,
                )
            )
            found.update((c, t, a) for c, t, a in rows if a is not None)
        return found

    async def digest_keys(
        self, chat_ids: Sequence[int], prefix: str, since: datetime
    ) -> list[tuple[int, int, str]]:
        """(chat, thread, key) of each digest row (an alert keyed `prefix`…) queued to these
        chats since `since` and not cancelled or failed: what their digests covered already."""
        found: list[tuple[int, int, str]] = []
        for chunk in in_chunks(sorted(set(chat_ids))):
            rows = await self.session.execute(
                select(DeliveryRow.chat_id, DeliveryRow.thread_id, DeliveryRow.alert_key).where(
                    DeliveryRow.chat_id.in_(list(chunk)),
                    DeliveryRow.kind == DeliveryKind.ALERT.value,
                    DeliveryRow.alert_key.startswith(prefix, autoescape=True),
                    DeliveryRow.status.in_([s.value for s in _RECEIVED]),
                    DeliveryRow.created_at >= since,
                )
            )
            found.extend((c, t, k) for c, t, k in rows if k is not None)
        return found

    async def _topic_keys(
        self, pairs: Sequence[tuple[int, int]]
    ) -> dict[tuple[int, int], set[str]]:
        wanted = set(pairs)
        found: dict[tuple[int, int], set[str]] = {}
        for chunk in in_chunks(sorted({chat for chat, _ in wanted})):
            rows = await self.session.execute(
                select(SubscriptionRow.chat_id, SubscriptionRow.thread_id, TopicRow.key)
                .join(TopicRow, TopicRow.id == SubscriptionRow.topic_id)
                .where(SubscriptionRow.chat_id.in_(list(chunk)))
            )
            for chat_id, thread_id, key in rows:
                if (chat_id, thread_id) in wanted:
                    found.setdefault((chat_id, thread_id), set()).add(key)
        return found
