"""The outbox's cancellations and moves: what a chat (or a forum thread) no longer wants or can
no longer get, and a group's queue following it to its supergroup. OutboxRepository's, split
out to keep the outbox module small."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select, update

from storage.records import DeliveryKind, DeliveryStatus
from storage.repository import SessionRepository
from storage.tables import ArticleTopicRow, DeliveryRow, SubscriptionRow


class OutboxCancellations(SessionRepository):
    async def cancel_unfollowed(self, chat_id: int, reason: str, thread_id: int = 0) -> int:
        """Cancel the subscriber's pending deliveries of articles it no longer follows any topic
        of, so that unsubscribing also stops what was already queued."""
        still_followed = (
            select(ArticleTopicRow.article_id)
            .join(SubscriptionRow, SubscriptionRow.topic_id == ArticleTopicRow.topic_id)
            .where(
                SubscriptionRow.chat_id == chat_id,
                SubscriptionRow.thread_id == thread_id,
                ArticleTopicRow.article_id == DeliveryRow.article_id,
            )
        )
        result = await self.session.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.chat_id == chat_id,
                DeliveryRow.thread_id == thread_id,
                DeliveryRow.status == DeliveryStatus.PENDING,
                DeliveryRow.alert_key.is_(None),  # an admin's alerts follow no topic
                ~still_followed.exists(),
            )
            .values(status=DeliveryStatus.CANCELLED, last_error=reason)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def restore_cancelled(self, chat_id: int, since: datetime, now: datetime) -> int:
        """What losing the chat cancelled, queued since `since`, is owed again, due now
        (Transaction.deactivate_chat's cancellations, undone); returns how many."""
        result = await self.session.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.chat_id == chat_id,
                DeliveryRow.status == DeliveryStatus.CANCELLED,
                DeliveryRow.alert_key.is_(None),
                DeliveryRow.created_at >= since,
            )
            .values(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, last_error=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def cancel_for_chat(self, chat_id: int, reason: str) -> int:
        """Cancel what was waiting for the chat (Transaction.deactivate_chat); returns how many."""
        result = await self.session.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.chat_id == chat_id,
                DeliveryRow.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
            )
            .values(status=DeliveryStatus.CANCELLED, last_error=reason)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def cancel_for_thread(self, chat_id: int, thread_id: int, reason: str) -> int:
        """Cancel what was waiting for one forum thread (Transaction.deactivate_thread)."""
        result = await self.session.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.chat_id == chat_id,
                DeliveryRow.thread_id == thread_id,
                DeliveryRow.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
            )
            .values(status=DeliveryStatus.CANCELLED, last_error=reason)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def move_to_chat(self, old_id: int, new_id: int, now: datetime) -> None:
        """The old chat's unsent posts and digests (alert-kind rows with a body: only admins'
        private chats get operator alerts, and they never migrate) go to the new chat, unless
        it already has that article or key (Transaction.migrate_chat). Edits stay: their
        message is in the old chat. A group that becomes a supergroup has no threads yet, so
        what moves is thread 0's."""
        has_article = select(DeliveryRow.article_id).where(
            DeliveryRow.chat_id == new_id,
            DeliveryRow.thread_id == 0,
            DeliveryRow.kind == DeliveryKind.POST,
        )  # posts only: an alert's NULL article_id would make NOT IN match nothing
        has_key = select(DeliveryRow.alert_key).where(
            DeliveryRow.chat_id == new_id, DeliveryRow.alert_key.is_not(None)
        )
        await self.session.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.chat_id == old_id,
                DeliveryRow.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
                or_(
                    and_(
                        DeliveryRow.kind == DeliveryKind.POST,
                        DeliveryRow.article_id.not_in(has_article),
                    ),
                    and_(
                        DeliveryRow.kind == DeliveryKind.ALERT,
                        DeliveryRow.alert_key.not_in(has_key),
                    ),
                ),
            )
            .values(chat_id=new_id, status=DeliveryStatus.PENDING, next_attempt_at=now)
        )
