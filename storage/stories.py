"""Stories: which articles tell one piece of news, and what its channel post was last queued to
show. jobs.stories decides membership; this keeps it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert, select, update

from storage.records import OpenStory
from storage.repository import SessionRepository, in_chunks
from storage.tables import ArticleRow, StoryRow


class StoryRepository(SessionRepository):
    async def open_stories(self, since: datetime) -> list[OpenStory]:
        """Stories opened at or after `since`, oldest first."""
        rows = await self.session.scalars(
            select(StoryRow).where(StoryRow.opened_at >= since).order_by(StoryRow.id)
        )
        return [
            OpenStory(r.id, r.lead_article_id, r.opened_at, r.version, r.revision) for r in rows
        ]

    async def open_story(self, lead_article_id: int, version: str, now: datetime) -> int:
        """Start a story led by the article (which joins it); returns the story's id."""
        story_id = await self.session.scalar(
            insert(StoryRow)
            .values(lead_article_id=lead_article_id, opened_at=now, version=version, revision=0)
            .returning(StoryRow.id)
        )
        assert story_id is not None
        await self.join(story_id, [lead_article_id])
        return int(story_id)

    async def join(self, story_id: int, article_ids: Iterable[int]) -> None:
        for chunk in in_chunks(list(article_ids)):
            await self.session.execute(
                update(ArticleRow).where(ArticleRow.id.in_(chunk)).values(story_id=story_id)
            )

    async def set_version(self, story_id: int, version: str, revision: int) -> None:
        await self.session.execute(
            update(StoryRow)
            .where(StoryRow.id == story_id)
            .values(version=version, revision=revision)
        )

    async def set_lead(self, story_id: int, article_id: int) -> None:
        """The article (a member) leads the story from now on: its post is the channel's. The
        version is cleared as for a story new this run, since that post is not sent yet."""
        await self.session.execute(
            update(StoryRow)
            .where(StoryRow.id == story_id)
            .values(lead_article_id=article_id, version="")
        )
