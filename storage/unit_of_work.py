"""The unit of work: `async with uow() as tx:` hands out one repository per aggregate, all on
one session, and commits once when the block succeeds (rolls back otherwise). Repositories
never commit. Modelled on cosmicpython's unit_of_work.py (chapters 6-7)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.articles import ArticleRepository
from storage.chats import ChatRepository
from storage.claims import ClaimRepository
from storage.digests import DigestRepository
from storage.feeds import FeedRepository
from storage.heat_history import HeatHistoryRepository
from storage.outbox import OutboxRepository
from storage.records import ChatKind
from storage.settings import SettingsRepository
from storage.sources import SourceFileRepository
from storage.state import StateRepository
from storage.stats import StatsQueries
from storage.stories import StoryRepository
from storage.subscriptions import SubscriptionRepository
from storage.topics import TopicRepository
from storage.workers import WorkerRepository


class Transaction:
    """What one unit of work reaches: a repository per aggregate, and the operations that span
    several of them (a chat's lifecycle), so that none hides inside one aggregate's repository."""

    def __init__(self, session: AsyncSession) -> None:
        self.sources = SourceFileRepository(session)
        self.topics = TopicRepository(session)
        self.articles = ArticleRepository(session, self.topics)
        self.chats = ChatRepository(session)
        self.subscriptions = SubscriptionRepository(session)
        self.settings = SettingsRepository(session)
        self.digests = DigestRepository(session)
        self.outbox = OutboxRepository(session)
        self.stories = StoryRepository(session)
        self.feeds = FeedRepository(session)
        self.state = StateRepository(session)
        self.stats = StatsQueries(session)
        self.heat = HeatHistoryRepository(session)
        # PostgreSQL only: several delivery workers on one database.
        self.claims = ClaimRepository(session)
        self.workers = WorkerRepository(session)

    async def deactivate_chat(self, chat_id: int, reason: str, now: datetime) -> int:
        """Mark the chat inactive and cancel what was waiting for it; returns cancelled count."""
        await self.chats.mark_inactive(chat_id, reason, now)
        return await self.outbox.cancel_for_chat(chat_id, reason)

    async def deactivate_thread(
        self, chat_id: int, thread_id: int, reason: str, now: datetime
    ) -> int:
        """A forum thread was closed or deleted: it gets nothing more (its settings row says
        so, its subscriptions stay for when it opens again), and what was waiting for it is
        cancelled; the chat's other threads go on. Returns the cancelled count."""
        await self.settings.change(chat_id, thread_id, now, active=False, inactive_reason=reason)
        return await self.outbox.cancel_for_thread(chat_id, thread_id, reason)

    async def migrate_chat(self, old_id: int, new_id: int, now: datetime) -> None:
        """A group became a supergroup: its subscriptions, settings, language and unsent
        deliveries follow it."""
        old = await self.chats.chat(old_id)
        new = await self.chats.chat(new_id)
        await self.chats.ensure_chat(
            new_id,
            ChatKind.SUPERGROUP,
            old.title if old else None,
            now,
        )
        # its /language choice too, unless the supergroup already made one of its own
        if old is not None and old.language and (new is None or new.language is None):
            await self.chats.set_language(new_id, old.language, now)
        await self.subscriptions.move_to_chat(old_id, new_id)
        await self.settings.move_to_chat(old_id, new_id)
        await self.outbox.move_to_chat(old_id, new_id, now)
        await self.deactivate_chat(old_id, f"migrated to {new_id}", now)


class UnitOfWork:
    """`async with uow() as tx:` commits when the block succeeds and rolls back otherwise."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> Transaction:
        self._session = self._sessions()
        return Transaction(self._session)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        try:
            if exc_type is None:
                await self._session.commit()
            else:
                await self._session.rollback()
        finally:
            await self._session.close()
            self._session = None


UowFactory = Callable[[], AbstractAsyncContextManager[Transaction]]
