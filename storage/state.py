"""The key-value state table (what each key means: storage.state_keys)."""

from __future__ import annotations

from storage.repository import SessionRepository
from storage.tables import StateRow


class StateRepository(SessionRepository):
    async def get(self, key: str) -> str | None:
        row = await self.session.get(StateRow, key)
        return None if row is None else row.value

    async def set(self, key: str, value: str) -> None:
        stmt = self._insert(StateRow).values(key=key, value=value)
        await self.session.execute(
            stmt.on_conflict_do_update(index_elements=[StateRow.key], set_={"value": value})
        )
