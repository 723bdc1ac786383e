"""What each subscriber (chat, thread) chose: /settings, /heat, /filter, /digest, /timezone,
/stop's pause; and whether a forum thread can still be reached. A subscriber without a row has
the defaults (SubscriberSettings())."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy import literal as sqlalchemy_literal

from storage.mapping import settings_record
from storage.records import SubscriberSettings
from storage.repository import SessionRepository, in_chunks, table_of
from storage.tables import ChatSettingsRow

_DEFAULTS: dict[str, Any] = {
    "silent": False,
    "compact": False,
    "link_preview": True,
    "min_heat": None,
    "filters": "",
    "digest": "off",
    "digest_minute": 0,
    "timezone": "UTC",
    "paused_until": None,
    "active": True,
    "inactive_reason": None,
}
_COLUMNS = ("chat_id", "thread_id", *_DEFAULTS, "updated_at")
_SETTINGS = table_of(ChatSettingsRow)
_BY_CHATS = select(*_SETTINGS.c).where(_SETTINGS.c.chat_id.in_(bindparam("chats", expanding=True)))


class SettingsRepository(SessionRepository):
    async def settings(self, chat_id: int, thread_id: int = 0) -> SubscriberSettings:
        row = await self.session.get(ChatSettingsRow, (chat_id, thread_id))
        if row is None:
            return SubscriberSettings(chat_id, thread_id)
        return settings_record(row)

    async def many(
        self, subscribers: Iterable[tuple[int, int]]
    ) -> dict[tuple[int, int], SubscriberSettings]:
        """The settings of those of these (chat, thread) pairs that have a row; the others
        have the defaults (SubscriberSettings(chat, thread)), left for the caller to make: a
        claim asks for hundreds of subscribers, most of whom chose nothing.

        By chat id, the pairs picked out here (an OR of (chat, thread) conditions costs more to
        build than the query takes to run), in one statement built once."""
        wanted = set(subscribers)
        found: dict[tuple[int, int], SubscriberSettings] = {}
        for chunk in in_chunks(sorted({chat for chat, _ in wanted})):
            rows = await self.session.execute(_BY_CHATS, {"chats": list(chunk)})
            for row in rows:
                pair = (row.chat_id, row.thread_id)
                if pair in wanted:
                    found[pair] = settings_record(row)
        return found

    async def change(self, chat_id: int, thread_id: int, now: datetime, **values: Any) -> None:
        """Set these columns (ChatSettingsRow's names) for the subscriber, creating its row."""
        unknown = set(values) - set(_DEFAULTS)
        if unknown:
            raise ValueError(f"no such setting: {sorted(unknown)}")
        stmt = self._insert(ChatSettingsRow).values(
            chat_id=chat_id, thread_id=thread_id, **{**_DEFAULTS, **values}, updated_at=now
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[ChatSettingsRow.chat_id, ChatSettingsRow.thread_id],
                set_={**values, "updated_at": now},
            )
        )

    async def inactive_threads(self) -> list[SubscriberSettings]:
        """Forum threads found closed or deleted (for /stats)."""
        rows = await self.session.scalars(
            select(ChatSettingsRow)
            .where(ChatSettingsRow.active.is_(False), ChatSettingsRow.thread_id != 0)
            .order_by(ChatSettingsRow.chat_id, ChatSettingsRow.thread_id)
        )
        return [settings_record(r) for r in rows]

    async def move_to_chat(self, old_id: int, new_id: int) -> None:
        """The old chat's settings become the new one's (Transaction.migrate_chat)."""
        columns = [c for c in _COLUMNS if c != "chat_id"]
        await self.session.execute(
            self._insert(ChatSettingsRow)
            .from_select(
                ["chat_id", *columns],
                select(
                    sqlalchemy_literal(new_id),
                    *(getattr(ChatSettingsRow, c) for c in columns),
                ).where(ChatSettingsRow.chat_id == old_id),
            )
            .on_conflict_do_nothing()
        )

    async def reactivate(self, chat_id: int, thread_id: int, now: datetime) -> None:
        """A command from the thread shows it is open again."""
        await self.session.execute(
            update(ChatSettingsRow)
            .where(
                ChatSettingsRow.chat_id == chat_id,
                ChatSettingsRow.thread_id == thread_id,
                ChatSettingsRow.active.is_(False),
            )
            .values(active=True, inactive_reason=None, updated_at=now)
        )
