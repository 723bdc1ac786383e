"""The `/stats` aggregates: counts over articles, chats, subscriptions and the outbox."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select

from storage.candidates import SelectionRules, candidate_conditions
from storage.records import DeliveryKind, DeliveryStatus
from storage.repository import SessionRepository
from storage.tables import ArticleRow, ChatRow, DeliveryRow, SubscriptionRow, TopicRow


class StatsQueries(SessionRepository):
    async def count_articles(self) -> int:
        return int((await self.session.scalar(select(func.count(ArticleRow.id)))) or 0)

    async def count_selection_candidates(self, rules: SelectionRules, channel_id: int) -> int:
        """How many articles a run could pick from now, before the per-run cap."""
        stmt = select(func.count(ArticleRow.id)).where(*candidate_conditions(rules, channel_id))
        return int((await self.session.scalar(stmt)) or 0)

    async def chat_activity(self, exclude: Iterable[int] = ()) -> tuple[int, int]:
        """(active, inactive) chats, leaving out `exclude` (the channel is not an audience)."""
        rows = await self.session.execute(
            select(ChatRow.active, func.count(ChatRow.id))
            .where(ChatRow.id.not_in(list(exclude)))
            .group_by(ChatRow.active)
        )
        counts = {bool(active): int(n) for active, n in rows}
        return counts.get(True, 0), counts.get(False, 0)

    async def subscriber_counts(self) -> list[tuple[str, int]]:
        """Active chats per followed topic, most followed first."""
        chats = func.count(SubscriptionRow.chat_id)
        rows = await self.session.execute(
            select(TopicRow.name, chats)
            .join(SubscriptionRow, SubscriptionRow.topic_id == TopicRow.id)
            .join(ChatRow, ChatRow.id == SubscriptionRow.chat_id)
            .where(ChatRow.active.is_(True))
            .group_by(TopicRow.id, TopicRow.name)
        )
        counts = [(name, int(n)) for name, n in rows]
        counts.sort(key=lambda item: (-item[1], item[0].casefold()))
        return counts

    async def delivery_counts(self) -> dict[DeliveryStatus, int]:
        rows = await self.session.execute(
            select(DeliveryRow.status, func.count(DeliveryRow.id)).group_by(DeliveryRow.status)
        )
        return {DeliveryStatus(status): int(n) for status, n in rows}

    async def sent_times(self, chat_id: int, since: datetime) -> list[datetime]:
        """When each post to the chat went out since `since`; an edit of a post, or an alert,
        is no post (as in OutboxRepository.last_sent_at)."""
        rows = await self.session.scalars(
            select(DeliveryRow.sent_at).where(
                DeliveryRow.chat_id == chat_id,
                DeliveryRow.status == DeliveryStatus.SENT,
                DeliveryRow.kind == DeliveryKind.POST,
                DeliveryRow.sent_at >= since,
            )
        )
        return [at for at in rows if at is not None]
