"""The queries, behind a unit of work. Repository methods never commit: `UnitOfWork` does, once,
when the `async with` block succeeds."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, bindparam, delete, func, or_, select, update
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
)


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """Enough of a stored article to decide whether a file's version replaces it."""

    id: int
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
        stmt = self._insert(SourceFileRow).values(
            [
                {"path": p, "size": s, "mtime_ns": m, "article_url": u, "skip_reason": r}
                for p, s, m, u, r in files
            ]
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[SourceFileRow.path],
            set_={
                "size": stmt.excluded.size,
                "mtime_ns": stmt.excluded.mtime_ns,
                "article_url": stmt.excluded.article_url,
                "skip_reason": stmt.excluded.skip_reason,
            },
        )
        await self.session.execute(stmt)

    async def forget_source_files(self, paths: Iterable[str]) -> None:
        batch = list(paths)
        for start in range(0, len(batch), 500):
            await self.session.execute(
                delete(SourceFileRow).where(SourceFileRow.path.in_(batch[start : start + 500]))
            )

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
        for start in range(0, len(batch), 500):
            rows = await self.session.execute(
                select(
                    ArticleRow.url,
                    ArticleRow.id,
                    ArticleRow.source_path,
                    ArticleRow.source_mtime_ns,
                ).where(ArticleRow.url.in_(batch[start : start + 500]))
            )
            for url, id_, path, mtime in rows:
                found[url] = StoredVersion(id_, path, mtime)
        return found

    async def add_article(
        self, data: ArticleData, *, source_path: str, source_mtime_ns: int, now: datetime
    ) -> int:
        row = ArticleRow(
            **_article_columns(data),
            source_path=source_path,
            source_mtime_ns=source_mtime_ns,
            first_seen_at=now,
            updated_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        await self._set_topics(row.id, data.topics)
        return row.id

    async def replace_article(
        self,
        article_id: int,
        data: ArticleData,
        *,
        source_path: str,
        source_mtime_ns: int,
        now: datetime,
    ) -> None:
        await self.session.execute(
            update(ArticleRow)
            .where(ArticleRow.id == article_id)
            .values(
                **_article_columns(data),
                source_path=source_path,
                source_mtime_ns=source_mtime_ns,
                updated_at=now,
            )
        )
        await self.session.execute(
            delete(ArticleTopicRow).where(ArticleTopicRow.article_id == article_id)
        )
        await self._set_topics(article_id, data.topics)

    async def _set_topics(self, article_id: int, names: Sequence[str]) -> None:
        ids = await self.ensure_topics(names)
        if ids:
            await self.session.execute(
                self._insert(ArticleTopicRow)
                .values([{"article_id": article_id, "topic_id": t} for t in ids])
                .on_conflict_do_nothing()
            )

    async def ensure_topics(self, names: Sequence[str]) -> list[int]:
        """Topic ids for these names, creating the missing topics (first spelling wins)."""
        wanted = {topic_key(n): n.strip() for n in reversed(names) if topic_key(n)}
        if not wanted:
            return []
        await self.session.execute(
            self._insert(TopicRow)
            .values([{"key": k, "name": n} for k, n in wanted.items()])
            .on_conflict_do_nothing()
        )
        rows = await self.session.execute(select(TopicRow.id).where(TopicRow.key.in_(list(wanted))))
        return [id_ for (id_,) in rows]

    async def article(self, article_id: int) -> Article | None:
        rows = await self._articles(select(ArticleRow).where(ArticleRow.id == article_id))
        return rows[0] if rows else None

    async def article_by_url(self, url: str) -> Article | None:
        rows = await self._articles(select(ArticleRow).where(ArticleRow.url == url))
        return rows[0] if rows else None

    async def articles(self, ids: Iterable[int]) -> dict[int, Article]:
        batch = list(ids)
        found: dict[int, Article] = {}
        for start in range(0, len(batch), 500):
            for article in await self._articles(
                select(ArticleRow).where(ArticleRow.id.in_(batch[start : start + 500]))
            ):
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
        keys = sorted({k for k in map(topic_key, topic_names) if k})
        found: dict[int, tuple[bool, int | None, set[str]]] = {}
        for start in range(0, len(keys), 500):
            rows = await self.session.execute(
                select(ChatRow.id, ChatRow.active, ChatRow.min_heat, TopicRow.key)
                .join(SubscriptionRow, SubscriptionRow.chat_id == ChatRow.id)
                .join(TopicRow, TopicRow.id == SubscriptionRow.topic_id)
                .where(TopicRow.key.in_(keys[start : start + 500]), ChatRow.active.is_(True))
            )
            for chat_id, active, min_heat, key in rows:
                found.setdefault(chat_id, (active, min_heat, set()))[2].add(key)
        return [
            Subscriber(chat_id, active, min_heat, frozenset(followed))
            for chat_id, (active, min_heat, followed) in sorted(found.items())
        ]

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
        values = [
            {
                "article_id": article_id,
                "chat_id": chat_id,
                "status": DeliveryStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for chat_id in chat_ids
        ]
        added = 0
        for start in range(0, len(values), 1000):
            # Count with RETURNING: rowcount is -1 for multi-row inserts on some drivers.
            result = await self.session.execute(
                self._insert(DeliveryRow)
                .values(values[start : start + 1000])
                .on_conflict_do_nothing()
                .returning(DeliveryRow.id)
            )
            added += len(result.all())
        return added

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
