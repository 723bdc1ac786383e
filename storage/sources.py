"""The source files ingest has seen: size and mtime (to skip what did not change), the article
each holds, and why a file was skipped."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select

from storage.repository import SessionRepository, in_chunks, table_of
from storage.tables import SourceFileRow

_SOURCE_FILES = table_of(SourceFileRow)


class SourceFileRepository(SessionRepository):
    async def source_file_stats(self, root: str) -> dict[str, tuple[int, int]]:
        """Size and mtime of every file already seen under `root` (a path prefix)."""
        rows = await self.session.execute(
            select(SourceFileRow.path, SourceFileRow.size, SourceFileRow.mtime_ns).where(
                SourceFileRow.path.startswith(root, autoescape=True)
            )
        )
        return {path: (size, mtime) for path, size, mtime in rows}

    async def record_source_files(
        self, files: Sequence[tuple[str, int, int, str | None, str | None]]
    ) -> None:
        """Upsert (path, size, mtime_ns, article_url, skip_reason) rows."""
        if not files:
            return
        stmt = self._insert(_SOURCE_FILES)
        stmt = stmt.on_conflict_do_update(
            index_elements=[_SOURCE_FILES.c.path],
            set_={
                "size": stmt.excluded.size,
                "mtime_ns": stmt.excluded.mtime_ns,
                "article_url": stmt.excluded.article_url,
                "skip_reason": stmt.excluded.skip_reason,
            },
        )
        await self.session.execute(
            stmt,
            [
                {"path": p, "size": s, "mtime_ns": m, "article_url": u, "skip_reason": r}
                for p, s, m, u, r in files
            ],
        )

    async def forget_source_files(self, paths: Iterable[str]) -> None:
        batch = list(paths)
        for chunk in in_chunks(batch):
            await self.session.execute(delete(SourceFileRow).where(SourceFileRow.path.in_(chunk)))

    async def skipped_source_files(self) -> list[tuple[str, str]]:
        rows = await self.session.execute(
            select(SourceFileRow.path, SourceFileRow.skip_reason)
            .where(SourceFileRow.skip_reason.is_not(None))
            .order_by(SourceFileRow.path)
        )
        return [(path, reason or "") for path, reason in rows]
