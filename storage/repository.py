"""The queries, behind a unit of work. Repository methods never commit: `UnitOfWork` does, once,
when the `async with` block succeeds."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy import literal as sqlalchemy_literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.records import (
    Article,
    ArticleData,
    Chat,
    ChatKind,
    Delivery,
    DeliveryStatus,
    Subscriber,
    TopicSummary,
    topic_key,
)
from storage.tables import (
    ArticleRow,
    ArticleTopicRow,
    ChatRow,
    DeliveryRow,
    SourceFileRow,
    StateRow,
    SubscriptionRow,
    TopicRow,
    UtcDateTime,
)


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


# Core rather than ORM for bulk writes: executemany with no per-row object bookkeeping.
_ARTICLES = _table(ArticleRow)
_ARTICLE_TOPICS = _table(ArticleTopicRow)
_SOURCE_FILES = _table(SourceFileRow)
_DELIVERIES = _table(DeliveryRow)
_ENQUEUE_CHUNK = 5000
_PAGE_ROWS = 5000  # rows fetched at a time when streaming a large result
_IN_CHUNK = 500  # values in one IN (...) list

T = TypeVar("T")


def in_chunks(values: Sequence[T], size: int = _IN_CHUNK) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size`: one IN list or one bulk statement each."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """Enough of a stored article to decide whether a file's version replaces it."""

    id: int
    source_path: str
    source_mtime_ns: int


@dataclass(frozen=True, slots=True)
class SourcedArticle:
    """An article as read from a file, with the file that holds it (what a bulk write takes)."""

    data: ArticleData
    source_path: str
    source_mtime_ns: int


@dataclass(frozen=True, slots=True)
class SelectionRules:
    """The database-side prefilter of selection; jobs.selection decides for real."""

    min_heat: int
    published_after: datetime | None
    published_before: datetime
    limit: int


class Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _insert(self, table: Any) -> Any:
        dialect = self.session.get_bind().dialect.name
        if dialect == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    # -- source files -------------------------------------------------------------------------

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

    # -- articles -----------------------------------------------------------------------------

    async def stored_versions(self, urls: Iterable[str]) -> dict[str, StoredVersion]:
        batch = list(urls)
        found: dict[str, StoredVersion] = {}
        for chunk in in_chunks(batch):
            rows = await self.session.execute(
                select(
                    ArticleRow.url,
                    ArticleRow.id,
                    ArticleRow.source_path,
                    ArticleRow.source_mtime_ns,
                ).where(ArticleRow.url.in_(chunk))
            )
            for url, id_, path, mtime in rows:
                found[url] = StoredVersion(id_, path, mtime)
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
                    **_article_columns(item.data),
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
        return ids

    async def replace_articles(
        self, items: Sequence[tuple[int, SourcedArticle]], now: datetime
    ) -> None:
        """Overwrite stored articles (by id) with a newer version, topics included."""
        if not items:
            return
        columns: dict[str, Any] = {name: bindparam(f"b_{name}") for name in _ARTICLE_COLUMNS}
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
                    **{f"b_{k}": v for k, v in _article_columns(item.data).items()},
                    "b_id": article_id,
                    "b_source_path": item.source_path,
                    "b_source_mtime_ns": item.source_mtime_ns,
                }
                for article_id, item in items
            ],
        )
        ids = [article_id for article_id, _ in items]
        for chunk in in_chunks(ids):
            await self.session.execute(
                delete(ArticleTopicRow).where(ArticleTopicRow.article_id.in_(chunk))
            )
        await self._link_topics([(article_id, item.data.topics) for article_id, item in items])

    async def _link_topics(self, articles: Sequence[tuple[int, Sequence[str]]]) -> None:
        # A few dozen spellings cover thousands of articles: key each spelling once.
        spellings = list(dict.fromkeys(name for _, names in articles for name in names))
        ids_by_key = await self._topic_ids(spellings)
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
        if self.session.get_bind().dialect.name != "postgresql":
            await self.session.execute(
                self._insert(_ARTICLE_TOPICS).on_conflict_do_nothing(),
                [{"article_id": a, "topic_id": t} for a, t in ordered],
            )
            return
        # PostgreSQL: one INSERT … SELECT over two array parameters per chunk, not a long VALUES
        # statement per page of rows that psycopg parses anew (as for the outbox, below).
        for chunk in in_chunks(ordered, _ENQUEUE_CHUNK):
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

    async def ensure_topics(self, names: Sequence[str]) -> list[int]:
        """Topic ids for these names, creating the missing topics (first spelling wins)."""
        return list(set((await self._topic_ids(names)).values()))

    async def _topic_ids(self, names: Iterable[str]) -> dict[str, int]:
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

    async def article(self, article_id: int) -> Article | None:
        rows = await self._articles(select(ArticleRow).where(ArticleRow.id == article_id))
        return rows[0] if rows else None

    async def article_by_url(self, url: str) -> Article | None:
        rows = await self._articles(select(ArticleRow).where(ArticleRow.url == url))
        return rows[0] if rows else None

    async def articles(self, ids: Iterable[int]) -> dict[int, Article]:
        batch = list(ids)
        found: dict[int, Article] = {}
        for chunk in in_chunks(batch):
            for article in await self._articles(select(ArticleRow).where(ArticleRow.id.in_(chunk))):
                found[article.id] = article
        return found

    async def _articles(self, stmt: Select[ArticleRow]) -> list[Article]:
        rows = list((await self.session.scalars(stmt)).all())
        topics = await self._topics_of([r.id for r in rows])
        return [_article(r, topics.get(r.id, ())) for r in rows]

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

    async def selection_candidates(self, rules: SelectionRules, channel_id: int) -> list[Article]:
        """Articles that may be eligible and have no outbox row for the channel yet, hottest
        first. The database narrows (indexes on published_at and the outbox); the pure
        jobs.selection function has the final word."""
        stmt = (
            select(ArticleRow)
            .where(*_candidate_conditions(rules, channel_id))
            .order_by(ArticleRow.heat.desc(), ArticleRow.published_at.desc(), ArticleRow.id)
            .limit(rules.limit)
        )
        return await self._articles(stmt)

    async def count_selection_candidates(self, rules: SelectionRules, channel_id: int) -> int:
        """How many articles a run could pick from now, before the per-run cap."""
        stmt = select(func.count(ArticleRow.id)).where(*_candidate_conditions(rules, channel_id))
        return int((await self.session.scalar(stmt)) or 0)

    async def count_articles(self) -> int:
        return int((await self.session.scalar(select(func.count(ArticleRow.id)))) or 0)

    # -- chats --------------------------------------------------------------------------------

    async def ensure_chat(
        self,
        chat_id: int,
        kind: ChatKind,
        title: str | None,
        now: datetime,
        *,
        activate: bool = True,
        min_heat: int | None = None,
    ) -> None:
        """Create or refresh a chat. `activate`: the chat showed it can be reached again (a
        message from it, /start, a successful getChat)."""
        stmt = self._insert(ChatRow).values(
            id=chat_id,
            kind=kind.value,
            title=title,
            active=True,
            min_heat=min_heat,
            created_at=now,
            updated_at=now,
        )
        refresh: dict[str, Any] = {"kind": stmt.excluded.kind, "title": stmt.excluded.title}
        if activate:
            refresh.update(active=True, inactive_reason=None, updated_at=now)
        await self.session.execute(
            stmt.on_conflict_do_update(index_elements=[ChatRow.id], set_=refresh)
        )

    async def chat(self, chat_id: int) -> Chat | None:
        row = await self.session.get(ChatRow, chat_id)
        return None if row is None else _chat(row)

    async def deactivate_chat(self, chat_id: int, reason: str, now: datetime) -> int:
        """Mark the chat inactive and cancel what was waiting for it; returns cancelled count."""
        await self.session.execute(
            update(ChatRow)
            .where(ChatRow.id == chat_id)
            .values(active=False, inactive_reason=reason, updated_at=now)
        )
        result = await self.session.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.chat_id == chat_id,
                DeliveryRow.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
            )
            .values(status=DeliveryStatus.CANCELLED, last_error=reason)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def set_min_heat(self, chat_id: int, min_heat: int | None, now: datetime) -> None:
        await self.session.execute(
            update(ChatRow).where(ChatRow.id == chat_id).values(min_heat=min_heat, updated_at=now)
        )

    async def chat_activity(self, exclude: Iterable[int] = ()) -> tuple[int, int]:
        """(active, inactive) chats, leaving out `exclude` (the channel is not an audience)."""
        rows = await self.session.execute(
            select(ChatRow.active, func.count(ChatRow.id))
            .where(ChatRow.id.not_in(list(exclude)))
            .group_by(ChatRow.active)
        )
        counts = {bool(active): int(n) for active, n in rows}
        return counts.get(True, 0), counts.get(False, 0)

    # -- topics and subscriptions ---------------------------------------------------------------

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

    async def followed_topic_ids(self, chat_id: int) -> set[int]:
        rows = await self.session.scalars(
            select(SubscriptionRow.topic_id).where(SubscriptionRow.chat_id == chat_id)
        )
        return set(rows)

    async def subscribe(self, chat_id: int, topic_ids: Iterable[int], now: datetime) -> set[int]:
        """Follow these topics; returns the ones the chat did not follow before."""
        wanted = set(topic_ids) - await self.followed_topic_ids(chat_id)
        if wanted:
            await self.session.execute(
                self._insert(SubscriptionRow)
                .values([{"chat_id": chat_id, "topic_id": t, "created_at": now} for t in wanted])
                .on_conflict_do_nothing()
            )
        return wanted

    async def unsubscribe(self, chat_id: int, topic_ids: Iterable[int] | None = None) -> set[int]:
        """Stop following these topics (None: all); returns the ones the chat did follow."""
        followed = await self.followed_topic_ids(chat_id)
        dropped = followed if topic_ids is None else followed & set(topic_ids)
        if dropped:
            await self.session.execute(
                delete(SubscriptionRow).where(
                    SubscriptionRow.chat_id == chat_id,
                    SubscriptionRow.topic_id.in_(list(dropped)),
                )
            )
        return dropped

    async def cancel_unfollowed(self, chat_id: int, reason: str) -> int:
        """Cancel the chat's pending deliveries of articles it no longer follows any topic of, so
        that unsubscribing also stops what was already queued."""
        still_followed = (
            select(ArticleTopicRow.article_id)
            .join(SubscriptionRow, SubscriptionRow.topic_id == ArticleTopicRow.topic_id)
            .where(
                SubscriptionRow.chat_id == chat_id,
                ArticleTopicRow.article_id == DeliveryRow.article_id,
            )
        )
        result = await self.session.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.chat_id == chat_id,
                DeliveryRow.status == DeliveryStatus.PENDING,
                ~still_followed.exists(),
            )
            .values(status=DeliveryStatus.CANCELLED, last_error=reason)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def subscribers(self, topic_names: Iterable[str]) -> list[Subscriber]:
        """Active chats following at least one of these topics, each once, with the topics it
        follows among them. A prefilter: jobs.fanout decides who gets an article."""
        return [sub async for page in self.subscriber_pages(topic_names) for sub in page]

    async def subscriber_pages(
        self, topic_names: Iterable[str], page_size: int = _PAGE_ROWS
    ) -> AsyncIterator[list[Subscriber]]:
        """The same, a page of chats at a time, in chat order: a fan-out to 100k chats never
        holds more than a page of them. Rows are streamed ordered by chat so each chat's rows
        arrive together, and the followed-topic sets (a handful of distinct ones) are shared
        between chats rather than built per chat."""
        keys = sorted({k for k in map(topic_key, topic_names) if k})
        if len(keys) > _IN_CHUNK:
            # More topics than one IN list holds (never from one article): a chat may come from
            # several chunks, so merge them all first.
            yield await self._subscribers_merged(keys)
            return
        if not keys:
            return
        shared: dict[frozenset[str], frozenset[str]] = {}
        page: list[Subscriber] = []
        stmt = (
            select(ChatRow.id, ChatRow.min_heat, TopicRow.key)
            .join(SubscriptionRow, SubscriptionRow.chat_id == ChatRow.id)
            .join(TopicRow, TopicRow.id == SubscriptionRow.topic_id)
            .where(TopicRow.key.in_(keys), ChatRow.active.is_(True))
            .order_by(ChatRow.id)
            .execution_options(yield_per=_PAGE_ROWS)
        )
        result = await self.session.stream(stmt)
        current: tuple[int, int | None] | None = None
        followed: set[str] = set()
        async for rows in result.partitions():
            for chat_id, min_heat, key in rows:
                if current is not None and current[0] != chat_id:
                    page.append(_subscriber(current, followed, shared))
                    followed = set()
                    if len(page) >= page_size:
                        yield page
                        page = []
                current = (chat_id, min_heat)
                followed.add(key)
        if current is not None:
            page.append(_subscriber(current, followed, shared))
        if page:
            yield page

    async def _subscribers_merged(self, keys: Sequence[str]) -> list[Subscriber]:
        merged: dict[int, Subscriber] = {}
        for chunk in in_chunks(keys):
            async for page in self.subscriber_pages(chunk):
                for sub in page:
                    seen = merged.get(sub.chat_id)
                    merged[sub.chat_id] = (
                        sub
                        if seen is None
                        else Subscriber(
                            sub.chat_id, True, sub.min_heat, seen.topic_keys | sub.topic_keys
                        )
                    )
        return sorted(merged.values(), key=lambda sub: sub.chat_id)

    async def subscriber_counts(self) -> list[tuple[str, int]]:
        """Active chats per followed topic, most followed first."""
        chats = func.count(SubscriptionRow.chat_id)
        rows = await self.session.execute(
            select(TopicRow.name, chats)
            .join(SubscriptionRow, SubscriptionRow.topic_id == TopicRow.id)
            .join(ChatRow, ChatRow.id == SubscriptionRow.chat_id)
            .where(ChatRow.active.is_(True))
            .group_by(TopicRow.id, TopicRow.name)
        )
        counts = [(name, int(n)) for name, n in rows]
        counts.sort(key=lambda item: (-item[1], item[0].casefold()))
        return counts

    # -- outbox -------------------------------------------------------------------------------

    async def enqueue(self, article_id: int, chat_ids: Iterable[int], now: datetime) -> int:
        """Add pending deliveries; an (article, chat) pair already in the outbox is left alone,
        which is what makes a repeated selection harmless."""
        # In chunks: a fan-out to 100k chats never holds more than a chunk of rows in memory.
        added = 0
        chunk: list[int] = []
        for chat_id in chat_ids:
            chunk.append(chat_id)
            if len(chunk) == _ENQUEUE_CHUNK:
                added += await self._insert_deliveries(article_id, chunk, now)
                chunk = []
        if chunk:
            added += await self._insert_deliveries(article_id, chunk, now)
        return added

    async def _insert_deliveries(self, article_id: int, chat_ids: list[int], now: datetime) -> int:
        """One INSERT … SELECT over the chunk's chat ids passed as one parameter (an array on
        PostgreSQL, a JSON list on SQLite) rather than six parameters per row: psycopg re-parses
        a long statement text on every execution, which was most of a large fan-out's time.

        Counted with RETURNING: rowcount is -1 for multi-row inserts on some drivers, and rows
        left alone by ON CONFLICT DO NOTHING return nothing."""
        if self.session.get_bind().dialect.name == "postgresql":
            chats = (
                func.unnest(bindparam("chat_ids", chat_ids, type_=postgresql.ARRAY(BigInteger)))
                .table_valued("chat_id")
                .render_derived()
            )
            chat_id = chats.c.chat_id
        else:
            chats = func.json_each(bindparam("chat_ids", json.dumps(chat_ids))).table_valued(
                "value"
            )
            chat_id = chats.c.value
        rows = select(
            sqlalchemy_literal(article_id, Integer),
            chat_id,
            sqlalchemy_literal(DeliveryStatus.PENDING.value, String),
            sqlalchemy_literal(0, Integer),
            sqlalchemy_literal(now, UtcDateTime()),
            sqlalchemy_literal(now, UtcDateTime()),
        ).where(true())  # SQLite: without a WHERE, "ON CONFLICT" would parse as a join's ON
        stmt = (
            self._insert(_DELIVERIES)
            .from_select(
                ["article_id", "chat_id", "status", "attempts", "next_attempt_at", "created_at"],
                rows,
            )
            .on_conflict_do_nothing()
            .returning(_DELIVERIES.c.id)
        )
        return len((await self.session.execute(stmt)).all())

    async def claim_due(
        self, now: datetime, limit: int, skip_chats: Iterable[int] = ()
    ) -> list[Delivery]:
        """Move up to `limit` due pending deliveries to `sending` and return them, oldest first.

        One worker per database, so select-then-update is enough, provided the update re-checks
        the status: a chat deactivated between the two statements has its rows cancelled, and
        they must stay so. A row left in `sending` by a crash is released at the next start."""
        skip = list(skip_chats)
        stmt = (
            select(DeliveryRow.id)
            .where(
                DeliveryRow.status == DeliveryStatus.PENDING,
                DeliveryRow.next_attempt_at <= now,
            )
            .order_by(DeliveryRow.next_attempt_at, DeliveryRow.id)
            .limit(limit)
        )
        if skip:
            stmt = stmt.where(DeliveryRow.chat_id.not_in(skip))
        ids = list((await self.session.scalars(stmt)).all())
        if not ids:
            return []
        claimed = await self.session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id.in_(ids), DeliveryRow.status == DeliveryStatus.PENDING)
            .values(status=DeliveryStatus.SENDING, attempts=DeliveryRow.attempts + 1)
            .returning(DeliveryRow.id)
        )
        ids = [id_ for (id_,) in claimed]
        if not ids:
            return []
        rows = await self.session.scalars(
            select(DeliveryRow)
            .where(DeliveryRow.id.in_(ids))
            .order_by(DeliveryRow.next_attempt_at, DeliveryRow.id)
        )
        return [_delivery(r) for r in rows]

    async def next_due_at(self, skip_chats: Iterable[int] = ()) -> datetime | None:
        stmt = select(func.min(DeliveryRow.next_attempt_at)).where(
            DeliveryRow.status == DeliveryStatus.PENDING
        )
        skip = list(skip_chats)
        if skip:
            stmt = stmt.where(DeliveryRow.chat_id.not_in(skip))
        return await self.session.scalar(stmt)

    async def release_in_flight(self) -> int:
        """At start: deliveries a dead process had claimed go back to pending. Each may have
        reached Telegram already; this is the bounded duplicate README speaks of."""
        result = await self.session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.status == DeliveryStatus.SENDING)
            .values(status=DeliveryStatus.PENDING)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def mark_sent(self, delivery_id: int, message_id: int | None, now: datetime) -> None:
        await self.session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id == delivery_id, DeliveryRow.status == DeliveryStatus.SENDING)
            .values(status=DeliveryStatus.SENT, message_id=message_id, sent_at=now, last_error=None)
        )

    async def mark_sent_many(self, sent: Sequence[tuple[int, int | None, datetime]]) -> None:
        """Record many successful sends (delivery id, message id, when) in one statement."""
        table = DeliveryRow.__table__
        assert isinstance(table, Table)
        stmt = (
            update(table)
            .where(
                table.c.id == bindparam("b_id"),
                table.c.status == DeliveryStatus.SENDING.value,
            )
            .values(
                status=DeliveryStatus.SENT.value,
                message_id=bindparam("b_message_id"),
                sent_at=bindparam("b_sent_at"),
                last_error=None,
            )
        )
        await self.session.execute(
            stmt,
            [{"b_id": i, "b_message_id": m, "b_sent_at": at} for i, m, at in sent],
        )

    async def mark_retry(self, delivery_id: int, at: datetime, error: str) -> None:
        await self.session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id == delivery_id, DeliveryRow.status == DeliveryStatus.SENDING)
            .values(status=DeliveryStatus.PENDING, next_attempt_at=at, last_error=error)
        )

    async def postpone(self, delivery_id: int, at: datetime, error: str) -> None:
        """Back to pending until `at` without counting the attempt (a 429 is not a failure)."""
        await self.session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id == delivery_id, DeliveryRow.status == DeliveryStatus.SENDING)
            .values(
                status=DeliveryStatus.PENDING,
                next_attempt_at=at,
                last_error=error,
                attempts=DeliveryRow.attempts - 1,
            )
        )

    async def defer_chat(self, chat_id: int, at: datetime) -> None:
        """Nothing more to this chat before `at` (its retry_after)."""
        await self.session.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.chat_id == chat_id,
                DeliveryRow.status == DeliveryStatus.PENDING,
                DeliveryRow.next_attempt_at < at,
            )
            .values(next_attempt_at=at)
        )

    async def migrate_chat(self, old_id: int, new_id: int, now: datetime) -> None:
        """A group became a supergroup: its subscriptions and unsent deliveries follow it."""
        old = await self.session.get(ChatRow, old_id)
        await self.ensure_chat(
            new_id,
            ChatKind.SUPERGROUP,
            old.title if old else None,
            now,
            min_heat=old.min_heat if old else None,
        )
        await self.session.execute(
            self._insert(SubscriptionRow)
            .from_select(
                ["chat_id", "topic_id", "created_at"],
                select(
                    sqlalchemy_literal(new_id), SubscriptionRow.topic_id, SubscriptionRow.created_at
                ).where(SubscriptionRow.chat_id == old_id),
            )
            .on_conflict_do_nothing()
        )
        await self.session.execute(delete(SubscriptionRow).where(SubscriptionRow.chat_id == old_id))
        already = select(DeliveryRow.article_id).where(DeliveryRow.chat_id == new_id)
        await self.session.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.chat_id == old_id,
                DeliveryRow.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
                DeliveryRow.article_id.not_in(already),
            )
            .values(chat_id=new_id, status=DeliveryStatus.PENDING, next_attempt_at=now)
        )
        await self.deactivate_chat(old_id, f"migrated to {new_id}", now)

    async def mark_released(self, delivery_ids: Sequence[int]) -> None:
        """Give claimed-but-unsent deliveries back without counting the attempt."""
        if delivery_ids:
            await self.session.execute(
                update(DeliveryRow)
                .where(
                    DeliveryRow.id.in_(list(delivery_ids)),
                    DeliveryRow.status == DeliveryStatus.SENDING,
                )
                .values(status=DeliveryStatus.PENDING, attempts=DeliveryRow.attempts - 1)
            )

    async def mark_failed(self, delivery_id: int, error: str) -> None:
        await self.session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id == delivery_id, DeliveryRow.status == DeliveryStatus.SENDING)
            .values(status=DeliveryStatus.FAILED, last_error=error)
        )

    async def delivery_counts(self) -> dict[DeliveryStatus, int]:
        rows = await self.session.execute(
            select(DeliveryRow.status, func.count(DeliveryRow.id)).group_by(DeliveryRow.status)
        )
        return {DeliveryStatus(status): int(n) for status, n in rows}

    async def deliveries_for(self, chat_id: int) -> list[Delivery]:
        rows = await self.session.scalars(
            select(DeliveryRow).where(DeliveryRow.chat_id == chat_id).order_by(DeliveryRow.id)
        )
        return [_delivery(r) for r in rows]

    async def delivery(self, article_id: int, chat_id: int) -> Delivery | None:
        row = await self.session.scalar(
            select(DeliveryRow).where(
                DeliveryRow.article_id == article_id, DeliveryRow.chat_id == chat_id
            )
        )
        return None if row is None else _delivery(row)

    async def requeue(self, delivery_id: int, now: datetime) -> None:
        """Send a finished delivery again (a forced /publish): the (article, chat) row stays
        unique, it just starts over."""
        await self.session.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.id == delivery_id,
                DeliveryRow.status.not_in([DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
            )
            .values(
                status=DeliveryStatus.PENDING,
                attempts=0,
                next_attempt_at=now,
                last_error=None,
                message_id=None,
                sent_at=None,
            )
        )

    async def sent_times(self, chat_id: int, since: datetime) -> list[datetime]:
        rows = await self.session.scalars(
            select(DeliveryRow.sent_at).where(
                DeliveryRow.chat_id == chat_id,
                DeliveryRow.status == DeliveryStatus.SENT,
                DeliveryRow.sent_at >= since,
            )
        )
        return [at for at in rows if at is not None]

    # -- state --------------------------------------------------------------------------------

    async def get_state(self, key: str) -> str | None:
        row = await self.session.get(StateRow, key)
        return None if row is None else row.value

    async def set_state(self, key: str, value: str) -> None:
        stmt = self._insert(StateRow).values(key=key, value=value)
        await self.session.execute(
            stmt.on_conflict_do_update(index_elements=[StateRow.key], set_={"value": value})
        )


class UnitOfWork:
    """`async with uow() as repo:` commits when the block succeeds and rolls back otherwise."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> Repository:
        self._session = self._sessions()
        return Repository(self._session)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        try:
            if exc_type is None:
                await self._session.commit()
            else:
                await self._session.rollback()
        finally:
            await self._session.close()
            self._session = None


UowFactory = Callable[[], AbstractAsyncContextManager[Repository]]


def _candidate_conditions(rules: SelectionRules, channel_id: int) -> list[ColumnElement[bool]]:
    posted = select(DeliveryRow.id).where(
        DeliveryRow.article_id == ArticleRow.id, DeliveryRow.chat_id == channel_id
    )
    conditions = [
        ArticleRow.heat >= rules.min_heat,
        or_(ArticleRow.published.is_(None), ArticleRow.published.is_(True)),
        ArticleRow.published_at <= rules.published_before,
        ~posted.exists(),
    ]
    if rules.published_after is not None:
        conditions.append(ArticleRow.published_at >= rules.published_after)
    return conditions


_ARTICLE_COLUMNS = (
    "url",
    "link",
    "title",
    "excerpt",
    "source_name",
    "source_domain",
    "image_url",
    "heat",
    "published",
    "published_at",
)


def _article_columns(data: ArticleData) -> Mapping[str, Any]:
    return {
        "url": data.url,
        "link": data.link,
        "title": data.title,
        "excerpt": data.excerpt,
        "source_name": data.source_name,
        "source_domain": data.source_domain,
        "image_url": data.image_url,
        "heat": data.heat,
        "published": data.published,
        "published_at": data.published_at,
    }


def _article(row: ArticleRow, topics: tuple[str, ...]) -> Article:
    return Article(
        id=row.id,
        url=row.url,
        link=row.link,
        title=row.title,
        excerpt=row.excerpt,
        source_name=row.source_name,
        source_domain=row.source_domain,
        image_url=row.image_url,
        heat=row.heat,
        published=row.published,
        published_at=row.published_at,
        topics=topics,
        first_seen_at=row.first_seen_at,
        updated_at=row.updated_at,
    )


def _subscriber(
    chat: tuple[int, int | None],
    followed: set[str],
    shared: dict[frozenset[str], frozenset[str]],
) -> Subscriber:
    keys = frozenset(followed)
    return Subscriber(chat[0], True, chat[1], shared.setdefault(keys, keys))


def _chat(row: ChatRow) -> Chat:
    return Chat(
        id=row.id,
        kind=ChatKind(row.kind),
        title=row.title,
        active=row.active,
        min_heat=row.min_heat,
    )


def _delivery(row: DeliveryRow) -> Delivery:
    return Delivery(
        id=row.id,
        article_id=row.article_id,
        chat_id=row.chat_id,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        message_id=row.message_id,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )
