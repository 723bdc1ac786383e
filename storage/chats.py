"""Chats the bot knows: kind, title, whether it can still reach them. What a chat chose (its
heat threshold, /settings) is storage.settings'."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update

from storage.mapping import chat_record
from storage.records import Chat, ChatKind
from storage.repository import SessionRepository
from storage.tables import ChatRow


class ChatRepository(SessionRepository):
    async def ensure_chat(
        self,
        chat_id: int,
        kind: ChatKind,
        title: str | None,
        now: datetime,
        *,
        activate: bool = True,
        app_language: str | None = None,
    ) -> None:
        """Create or refresh a chat. `activate`: the chat showed it can be reached again (a
        message from it, /start, a successful getChat). `app_language`: the language_code its
        user's app sent just now (a private chat); None leaves the one known."""
        stmt = self._insert(ChatRow).values(
            id=chat_id,
            kind=kind.value,
            title=title,
            active=True,
            created_at=now,
            updated_at=now,
            app_language=app_language,
        )
        refresh: dict[str, Any] = {"kind": stmt.excluded.kind, "title": stmt.excluded.title}
        if activate:
            refresh.update(active=True, inactive_reason=None, updated_at=now)
        if app_language:
            refresh["app_language"] = stmt.excluded.app_language
        await self.session.execute(
            stmt.on_conflict_do_update(index_elements=[ChatRow.id], set_=refresh)
        )

    async def note_app_language(self, chat_id: int, app_language: str) -> None:
        """A known chat's user wrote in this app language (nothing is stored for a chat the
        bot does not know yet)."""
        changed = or_(ChatRow.app_language.is_(None), ChatRow.app_language != app_language)
        await self.session.execute(
            update(ChatRow).where(ChatRow.id == chat_id, changed).values(app_language=app_language)
        )

    async def chat(self, chat_id: int) -> Chat | None:
        row = await self.session.get(ChatRow, chat_id)
        return None if row is None else chat_record(row)

    async def languages(self, chat_ids: Iterable[int]) -> dict[int, str]:
        """What the bot writes to these chats in unasked (Chat.reader_language), for those with
        one: the /language choice, else the app language of the chat's user."""
        wanted = list(chat_ids)
        if not wanted:
            return {}
        language = func.coalesce(ChatRow.language, ChatRow.app_language)
        rows = await self.session.execute(
            select(ChatRow.id, language).where(ChatRow.id.in_(wanted), language.is_not(None))
        )
        return {chat_id: language for chat_id, language in rows if language is not None}

    async def mark_inactive(self, chat_id: int, reason: str, now: datetime) -> None:
        """The chat's row only: what was queued for it is the outbox's (Transaction.deactivate_chat
        does both)."""
        await self.session.execute(
            update(ChatRow)
            .where(ChatRow.id == chat_id)
            .values(active=False, inactive_reason=reason, updated_at=now)
        )

    async def set_language(self, chat_id: int, language: str | None, now: datetime) -> None:
        await self.session.execute(
            update(ChatRow).where(ChatRow.id == chat_id).values(language=language, updated_at=now)
        )
