"""JSON feed sources: health and backoff per source, HTTP validators per page.

On the unit of work's one session like every repository, so a page's items and its validators
are committed together or not at all."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from storage.mapping import health_record
from storage.records import FeedHealth, KnownPage, PageValidators
from storage.repository import SessionRepository
from storage.tables import FeedPageRow, FeedSourceRow

_MAX_ERROR_CHARS = 500


class FeedRepository(SessionRepository):
    async def health(self, url: str) -> FeedHealth:
        row = await self.session.get(FeedSourceRow, url)
        return FeedHealth(url) if row is None else health_record(row)

    async def healths(self, urls: Sequence[str]) -> list[FeedHealth]:
        """These sources in this order; one never fetched yet is there with zero counts."""
        rows = await self.session.scalars(
            select(FeedSourceRow).where(FeedSourceRow.url.in_(list(urls)))
        )
        found = {row.url: health_record(row) for row in rows}
        return [found.get(url, FeedHealth(url)) for url in urls]

    async def record_success(self, url: str, now: datetime) -> None:
        row = await self._row(url)
        row.consecutive_failures = 0
        row.last_success_at = now
        row.next_attempt_at = None

    async def record_failure(
        self, url: str, reason: str, *, now: datetime, next_attempt_at: datetime
    ) -> FeedHealth:
        row = await self._row(url)
        row.consecutive_failures += 1
        row.total_errors += 1
        # A reason may quote what a server or a page sent: PostgreSQL text refuses NUL, and
        # no database takes a lone surrogate.
        text = reason.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")
        row.last_error = text[:_MAX_ERROR_CHARS]
        row.last_error_at = now
        row.next_attempt_at = next_attempt_at
        await self.session.flush()
        return health_record(row)

    async def _row(self, url: str) -> FeedSourceRow:
        row = await self.session.get(FeedSourceRow, url)
        if row is None:
            row = FeedSourceRow(url=url, consecutive_failures=0, total_errors=0)
            self.session.add(row)
        return row

    async def validators(self, page_url: str) -> PageValidators | None:
        known = await self.known_page(page_url)
        return None if known is None else known.validators

    async def known_page(self, page_url: str) -> KnownPage | None:
        """The page's validators and next page as last served; None when there is nothing to
        send back in a conditional GET."""
        row = await self.session.get(FeedPageRow, page_url)
        if row is None or (row.etag is None and row.last_modified is None):
            return None
        return KnownPage(PageValidators(row.etag, row.last_modified), row.next_url)

    async def save_validators(
        self,
        page_url: str,
        validators: PageValidators,
        now: datetime,
        next_url: str | None = None,
    ) -> None:
        row = await self.session.get(FeedPageRow, page_url)
        if row is None:
            row = FeedPageRow(url=page_url)
            self.session.add(row)
        row.etag = validators.etag
        row.last_modified = validators.last_modified
        row.next_url = next_url
        row.fetched_at = now
