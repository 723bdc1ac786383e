"""What every repository shares: the unit of work's session, the dialect's INSERT (for ON
CONFLICT), and long IN lists cut into chunks. Repositories never commit: `UnitOfWork` does,
once, when the `async with` block succeeds."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

IN_CHUNK = 500  # values in one IN (...) list
ARRAY_CHUNK = 5000  # values in one array (PostgreSQL) or JSON list (SQLite) parameter

T = TypeVar("T")


def in_chunks(values: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size`: one IN list or one bulk statement each."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def table_of(model: Any) -> Table:
    """The Core table behind an ORM class: bulk writes use Core, with no per-row bookkeeping."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


class SessionRepository:
    """A repository on the unit of work's one session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def _insert(self, table: Any) -> Any:
        if self._postgres:
            return postgresql.insert(table)
        return sqlite.insert(table)
