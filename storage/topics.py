"""Topics: created on first mention (first spelling wins), identified by `topic_key`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select

from storage.records import TopicSummary, topic_key
from storage.repository import SessionRepository, in_chunks
from storage.tables import ArticleTopicRow, TopicRow


class TopicRepository(SessionRepository):
    async def ensure_topics(self, names: Sequence[str]) -> list[int]:
        """Topic ids for these names, creating the missing topics (first spelling wins)."""
        return list(set((await self.ids_by_key(names)).values()))

    async def ids_by_key(self, names: Iterable[str]) -> dict[str, int]:
        """topic key -> id for these names, creating the missing topics (first spelling wins)."""
        wanted: dict[str, str] = {}
        for name in names:
            key = topic_key(name)
            if key and key not in wanted:
                wanted[key] = name.strip()
        if not wanted:
            return {}
        keys = list(wanted)
        found: dict[str, int] = {}
        for chunk in in_chunks(keys):
            await self.session.execute(
                self._insert(TopicRow)
                .values([{"key": k, "name": wanted[k]} for k in chunk])
                .on_conflict_do_nothing()
            )
            rows = await self.session.execute(
                select(TopicRow.key, TopicRow.id).where(TopicRow.key.in_(chunk))
            )
            found.update({key: id_ for key, id_ in rows})
        return found

    async def topic_summaries(self) -> list[TopicSummary]:
        """Every topic with the number of stored articles carrying it, most articles first."""
        articles = func.count(ArticleTopicRow.article_id)
        rows = await self.session.execute(
            select(TopicRow.id, TopicRow.name, articles)
            .outerjoin(ArticleTopicRow, ArticleTopicRow.topic_id == TopicRow.id)
            .group_by(TopicRow.id, TopicRow.name)
        )
        found = [TopicSummary(id_, name, int(n)) for id_, name, n in rows]
        # Sorted here: SQLite's lower() folds ASCII only.
        found.sort(key=lambda t: (-t.articles, t.name.casefold(), t.id))
        return found
