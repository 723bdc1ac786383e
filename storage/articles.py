"""Stored articles with their topics: bulk writes for ingest, reads by id or URL, and the
candidates a run may select from."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Select, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from storage.candidates import (
    RisingRules,
    SelectionRules,
    candidate_conditions,
    climbing_conditions,
    rising_conditions,
)
from storage.heat_history import HeatHistoryRepository
from storage.images import ImageRepository, article_image
from storage.mapping import ARTICLE_COLUMNS, article_columns, article_record
from storage.records import Article, ArticleData, SourcedArticle, StoredVersion, topic_key
from storage.repository import ARRAY_CHUNK, SessionRepository, in_chunks, table_of
from storage.tables import ArticleRow, ArticleTopicRow, TopicRow
from storage.topics import TopicRepository

_ARTICLES = table_of(ArticleRow)
_ARTICLE_TOPICS = table_of(ArticleTopicRow)


class ArticleRepository(SessionRepository):
    def __init__(self, session: AsyncSession, topics: TopicRepository) -> None:
        super().__init__(session)
        self._topics = topics  # an article's topics are created when it is stored
        # Written with the articles, in the same few statements per batch.
        self._images = ImageRepository(session)
        self._heat = HeatHistoryRepository(session)

    async def stored_versions(self, urls: Iterable[str]) -> dict[str, StoredVersion]:
        rows = await self._by_url(
            urls, ArticleRow.id, ArticleRow.source_path, ArticleRow.source_mtime_ns, ArticleRow.heat
        )
        return {url: StoredVersion(id_, path, mtime, heat) for url, id_, path, mtime, heat in rows}

    async def stored_dates(self, urls: Iterable[str]) -> dict[str, datetime]:
        """The date each of these stored articles (by normalised URL) has: its publication date,
        else when it was first stored."""
        rows = await self._by_url(
            urls, func.coalesce(ArticleRow.published_at, ArticleRow.first_seen_at)
        )
        return {url: at for url, at in rows}

    async def _by_url(self, urls: Iterable[str], *columns: Any) -> list[Any]:
        """(url, *columns) of the stored articles among these URLs, one IN list at a time."""
        found: list[Any] = []
        for chunk in in_chunks(list(urls)):
            found.extend(
                await self.session.execute(
                    select(ArticleRow.url, *columns).where(ArticleRow.url.in_(chunk))
                )
            )
        return found

    async def add_article(
        self, data: ArticleData, *, source_path: str, source_mtime_ns: int, now: datetime
    ) -> int:
        ids = await self.add_articles([SourcedArticle(data, source_path, source_mtime_ns)], now)
        return ids[data.url]

    async def replace_article(
        self,
        article_id: int,
        data: ArticleData,
        *,
        source_path: str,
        source_mtime_ns: int,
        now: datetime,
    ) -> None:
        await self.replace_articles(
            [(article_id, SourcedArticle(data, source_path, source_mtime_ns))], now
        )

    async def add_articles(self, items: Sequence[SourcedArticle], now: datetime) -> dict[str, int]:
        """Insert new articles (distinct URLs, none stored yet) with their topics; url -> id.

        A handful of statements for the whole batch, whatever its size: ingest stores hundreds
        of articles per transaction, and a statement per article was most of its time."""
        if not items:
            return {}
        # Without RETURNING, then the ids by URL: a RETURNING executemany is rendered as one long
        # statement per page of rows, which psycopg parses anew every time (most of the writes'
        # time on PostgreSQL); a plain one is the driver's own executemany, parsed once.
        await self.session.execute(
            insert(_ARTICLES),
            [
                {
                    **article_columns(item.data),
                    "source_path": item.source_path,
                    "source_mtime_ns": item.source_mtime_ns,
                    "first_seen_at": now,
                    "updated_at": now,
                }
                for item in items
            ],
        )
        urls = [item.data.url for item in items]
        ids: dict[str, int] = {}
        for chunk in in_chunks(urls):
            rows = await self.session.execute(
                select(_ARTICLES.c.url, _ARTICLES.c.id).where(_ARTICLES.c.url.in_(chunk))
            )
            ids.update({url: id_ for url, id_ in rows})
        await self._link_topics([(ids[item.data.url], item.data.topics) for item in items])
        await self._images.store(
            {ids[i.data.url]: i.data.image_urls for i in items if i.data.image_urls}, replace=False
        )
        await self._heat.record(
            [(ids[i.data.url], i.data.heat) for i in items if i.data.heat is not None],
            now,
            prune=False,
        )
        return ids

    async def replace_articles(
        self, items: Sequence[tuple[int, SourcedArticle]], now: datetime
    ) -> None:
        """Overwrite stored articles (by id) with a newer version, topics included."""
        if not items:
            return
        ids = [article_id for article_id, _ in items]
        heat_before = await self._heats(ids)
        columns: dict[str, Any] = {name: bindparam(f"b_{name}") for name in ARTICLE_COLUMNS}
        await self.session.execute(
            update(_ARTICLES)
            .where(_ARTICLES.c.id == bindparam("b_id"))
            .values(
                **columns,
                source_path=bindparam("b_source_path"),
                source_mtime_ns=bindparam("b_source_mtime_ns"),
                updated_at=now,
            ),
            [
                {
                    **{f"b_{k}": v for k, v in article_columns(item.data).items()},
                    "b_id": article_id,
                    "b_source_path": item.source_path,
                    "b_source_mtime_ns": item.source_mtime_ns,
                }
                for article_id, item in items
            ],
        )
        for chunk in in_chunks(ids):
            await self.session.execute(
                delete(ArticleTopicRow).where(ArticleTopicRow.article_id.in_(chunk))
            )
        await self._link_topics([(article_id, item.data.topics) for article_id, item in items])
        await self._images.store({a: item.data.image_urls for a, item in items}, replace=True)
        # A sample when the heat changed: the history of a rising story, not of every rewrite.
        await self._heat.record(
            [
                (a, item.data.heat)
                for a, item in items
                if item.data.heat is not None and item.data.heat != heat_before.get(a)
            ],
            now,
        )

    async def _heats(self, ids: Sequence[int]) -> dict[int, int | None]:
        found: dict[int, int | None] = {}
        for chunk in in_chunks(ids):
            rows = await self.session.execute(
                select(_ARTICLES.c.id, _ARTICLES.c.heat).where(_ARTICLES.c.id.in_(chunk))
            )
            found.update({id_: heat for id_, heat in rows})
        return found

    async def _link_topics(self, articles: Sequence[tuple[int, Sequence[str]]]) -> None:
        # A few dozen spellings cover thousands of articles: key each spelling once.
        spellings = list(dict.fromkeys(name for _, names in articles for name in names))
        ids_by_key = await self._topics.ids_by_key(spellings)
        id_of = {name: ids_by_key.get(topic_key(name)) for name in spellings}
        pairs = {
            (article_id, topic_id)
            for article_id, names in articles
            for name in names
            if (topic_id := id_of[name]) is not None
        }
        if not pairs:
            return
        ordered = sorted(pairs)
        if not self._postgres:
            await self.session.execute(
                self._insert(_ARTICLE_TOPICS).on_conflict_do_nothing(),
                [{"article_id": a, "topic_id": t} for a, t in ordered],
            )
            return
        # PostgreSQL: one INSERT … SELECT over two array parameters per chunk, not a long VALUES
        # statement per page of rows that psycopg parses anew (as for the outbox).
        for chunk in in_chunks(ordered, ARRAY_CHUNK):
            rows = (
                func.unnest(
                    bindparam(
                        "article_ids", [a for a, _ in chunk], type_=postgresql.ARRAY(Integer)
                    ),
                    bindparam("topic_ids", [t for _, t in chunk], type_=postgresql.ARRAY(Integer)),
                )
                .table_valued("article_id", "topic_id")
                .render_derived()
            )
            await self.session.execute(
                self._insert(_ARTICLE_TOPICS)
                .from_select(["article_id", "topic_id"], select(rows.c.article_id, rows.c.topic_id))
                .on_conflict_do_nothing()
            )

    async def article(self, article_id: int) -> Article | None:
        rows = await self._articles(select(ArticleRow).where(ArticleRow.id == article_id))
        return rows[0] if rows else None

    async def article_by_url(self, url: str) -> Article | None:
        rows = await self._articles(select(ArticleRow).where(ArticleRow.url == url))
        return rows[0] if rows else None

    async def articles_with_query(self, address: str, limit: int = 50) -> list[Article]:
        """Articles stored under `address` (an identity without a query) with a query string
        after it, newest first. A LIKE on the address: a scan, for an admin's lookup only."""
        stmt = (
            select(ArticleRow)
            .where(ArticleRow.url.startswith(f"{address}?", autoescape=True))
            .order_by(ArticleRow.id.desc())
            .limit(limit)
        )
        return await self._articles(stmt)

    async def articles(self, ids: Iterable[int]) -> dict[int, Article]:
        batch = list(ids)
        found: dict[int, Article] = {}
        for chunk in in_chunks(batch):
            for article in await self._articles(select(ArticleRow).where(ArticleRow.id.in_(chunk))):
                found[article.id] = article
        return found

    async def selection_candidates(
        self, rules: SelectionRules, channel_id: int, *, offset: int = 0
    ) -> list[Article]:
        """Articles that may be eligible and have no outbox row for the channel yet, hottest
        first, `rules.limit` from `offset` on (storage.candidates narrows; jobs.selection has the
        final word)."""
        stmt = (
            select(ArticleRow)
            # not in a story yet: once in one, it was posted or merged into another's post
            .where(*candidate_conditions(rules, channel_id), ArticleRow.story_id.is_(None))
            .order_by(ArticleRow.heat.desc(), ArticleRow.published_at.desc(), ArticleRow.id)
            .limit(rules.limit)
            .offset(offset)
        )
        return await self._articles(stmt)

    async def story_articles(self, story_ids: Iterable[int]) -> dict[int, list[Article]]:
        """The articles of these stories, each story's in the order they were stored."""
        found: dict[int, list[Article]] = {}
        for chunk in in_chunks(sorted(set(story_ids))):
            stmt = select(ArticleRow).where(ArticleRow.story_id.in_(chunk)).order_by(ArticleRow.id)
            for article in await self._articles(stmt):
                assert article.story_id is not None
                found.setdefault(article.story_id, []).append(article)
        return found

    async def story_stamps(self, story_ids: Iterable[int]) -> dict[int, tuple[int, int, datetime]]:
        """Per story: its articles' count, highest id and latest update, which change when an
        article joins, leaves or changes (one cheap query to tell whether story_articles of it
        read earlier still holds)."""
        found: dict[int, tuple[int, int, datetime]] = {}
        for chunk in in_chunks(sorted(set(story_ids))):
            rows = await self.session.execute(
                select(
                    ArticleRow.story_id,
                    func.count(),
                    func.max(ArticleRow.id),
                    func.max(ArticleRow.updated_at),
                )
                .where(ArticleRow.story_id.in_(chunk))
                .group_by(ArticleRow.story_id)
            )
            found.update({story: (n, last, at) for story, n, last, at in rows if story is not None})
        return found

    async def rising_candidates(
        self, rules: SelectionRules, rising: RisingRules, channel_id: int
    ) -> list[Article]:
        """Articles below the publishing threshold that may be rising stories (heat at least
        rising.min_heat, once `gain` lower in their history), hottest first; jobs.selection
        decides."""
        stmt = (
            select(ArticleRow)
            .where(*rising_conditions(rules, rising, channel_id))
            .order_by(ArticleRow.heat.desc(), ArticleRow.published_at.desc(), ArticleRow.id)
            .limit(rising.limit)
        )
        return await self._articles(stmt)

    async def climbing(self, rules: SelectionRules, rising: RisingRules) -> list[Article]:
        """Articles in the window that may be rising now, posted or not, hottest first."""
        stmt = (
            select(ArticleRow)
            .where(*climbing_conditions(rules, rising))
            .order_by(ArticleRow.heat.desc(), ArticleRow.id)
            .limit(rising.limit)
        )
        return await self._articles(stmt)

    async def mark_rising(self, article_ids: Sequence[int], now: datetime) -> None:
        """These articles were selected as rising stories: their posts carry the mark."""
        for chunk in in_chunks(list(article_ids)):
            await self.session.execute(
                update(_ARTICLES).where(_ARTICLES.c.id.in_(chunk)).values(rising_at=now)
            )

    async def _articles(self, stmt: Select[ArticleRow]) -> list[Article]:
        rows = list((await self.session.scalars(stmt)).all())
        ids = [r.id for r in rows]
        topics = await self._topics_of(ids)
        images = await self._images.images_of(ids)
        shares = await self._images.share_counts(k for found in images.values() for _, k in found)
        return [
            replace(
                article_record(r, topics.get(r.id, ())),
                image_url=article_image([(u, shares.get(k, 0)) for u, k in images.get(r.id, ())]),
            )
            for r in rows
        ]

    async def _topics_of(self, article_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        if not article_ids:
            return {}
        rows = await self.session.execute(
            select(ArticleTopicRow.article_id, TopicRow.name)
            .join(TopicRow, TopicRow.id == ArticleTopicRow.topic_id)
            .where(ArticleTopicRow.article_id.in_(article_ids))
            .order_by(ArticleTopicRow.article_id, TopicRow.id)
        )
        found: dict[int, list[str]] = {}
        for article_id, name in rows:
            found.setdefault(article_id, []).append(name)
        return {k: tuple(v) for k, v in found.items()}
