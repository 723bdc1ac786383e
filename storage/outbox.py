"""The outbox: one row per message owed to a chat — a post per (article, chat), an edit of the
channel post per story revision — from enqueued through claimed to sent, failed or cancelled.
The delivery worker claims due rows here; each send's outcome is written by the writes of
storage.outbox_outcomes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    bindparam,
    func,
    select,
    true,
    type_coerce,
    update,
)
from sqlalchemy import literal as sqlalchemy_literal
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement

from storage.mapping import delivery_record
from storage.outbox_cancellations import OutboxCancellations
from storage.outbox_outcomes import OutboxOutcomes
from storage.records import Delivery, DeliveryKind, DeliveryStatus
from storage.repository import ARRAY_CHUNK, in_chunks, table_of
from storage.tables import ArticleRow, DeliveryRow, UtcDateTime, status_is

_DELIVERIES = table_of(DeliveryRow)


def _claim_due(times_as_text: bool) -> Any:
    """The claim, built once: a claim runs every few hundred sends, and building the statement
    anew each time (cache key included) cost more than running it. `times_as_text`: the
    datetime columns come back as SQLite stores them, for _claimed to read."""
    columns = [_DELIVERIES.c[f.name] for f in fields(Delivery)]
    returned: list[ColumnElement[Any]] = [
        type_coerce(c, String) if times_as_text and isinstance(c.type, UtcDateTime) else c
        for c in columns
    ]
    return (
        update(_DELIVERIES)
        .where(
            _DELIVERIES.c.id.in_(
                select(_DELIVERIES.c.id)
                .where(
                    status_is(DeliveryStatus.PENDING),  # the partial index of due rows
                    _DELIVERIES.c.next_attempt_at <= bindparam("now"),
                    _DELIVERIES.c.chat_id.not_in(bindparam("skip", expanding=True)),
                )
                .order_by(_DELIVERIES.c.next_attempt_at, _DELIVERIES.c.id)
                .limit(bindparam("limit"))
            ),
            # a parameter: each row is looked up by its id, not by walking the due rows' index
            _DELIVERIES.c.status == DeliveryStatus.PENDING.value,
        )
        .values(status=DeliveryStatus.SENDING.value, attempts=_DELIVERIES.c.attempts + 1)
        .returning(*returned)
    )


_CLAIM_DUE = _claim_due(times_as_text=False)
_CLAIM_DUE_SQLITE = _claim_due(times_as_text=True)
_STATUSES = {status.value: status for status in DeliveryStatus}
_KINDS = {kind.value: kind for kind in DeliveryKind}
_STATUS_AT, _KIND_AT = (
    [f.name for f in fields(Delivery)].index(name) for name in ("status", "kind")
)
_TIMES_AT = [
    at
    for at, f in enumerate(fields(Delivery))
    if isinstance(_DELIVERIES.c[f.name].type, UtcDateTime)
]


def _claimed(row: Any, times: dict[str, datetime] | None = None) -> Delivery:
    """A claimed row, its columns in Delivery's field order (_claim_due), built positionally:
    by name, as storage.mapping.delivery_record does, it cost half of a claim's CPU (15 µs a
    row, 500 rows a claim). `times`: the datetime columns came as SQLite's text, read here
    once per distinct value (a fan-out's rows were queued at one time, and are due at it)."""
    values = list(row)
    values[_STATUS_AT] = _STATUSES[values[_STATUS_AT]]
    values[_KIND_AT] = _KINDS[values[_KIND_AT]]
    if times is not None:
        for at in _TIMES_AT:
            text = values[at]
            if text is not None:
                value = times.get(text)
                if value is None:
                    value = times[text] = _utc_from_sqlite(text)
                values[at] = value
    return Delivery(*values)


def _utc_from_sqlite(text: str) -> datetime:
    """What storage.tables.UtcDateTime reads from SQLite's text (stored as naive UTC)."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _claim_order(delivery: Delivery) -> tuple[datetime, int]:
    return (delivery.next_attempt_at, delivery.id)


Target = int | tuple[int, int]  # a chat id (its thread 0), or (chat id, forum thread id)


class OutboxRepository(OutboxCancellations, OutboxOutcomes):
    async def enqueue(self, article_id: int, chat_ids: Iterable[Target], now: datetime) -> int:
        """Add pending deliveries; an (article, chat, thread) already in the outbox is left
        alone, which is what makes a repeated selection harmless."""
        # In chunks: a fan-out to 100k chats never holds more than a chunk of rows in memory.
        added = 0
        chunk: list[tuple[int, int]] = []
        for target in chat_ids:
            chunk.append(target if isinstance(target, tuple) else (target, 0))
            if len(chunk) == ARRAY_CHUNK:
                added += await self._insert_deliveries(article_id, chunk, now)
                chunk = []
        if chunk:
            added += await self._insert_deliveries(article_id, chunk, now)
        return added

    async def enqueue_alert(self, chat_id: int, key: str, body: str, now: datetime) -> int:
        """Queue an operator alert for an admin's chat; one already queued under the same key
        (a repeated decision after a crash) is left alone: 1 added, 0 already there."""
        return await self._enqueue_one(
            now, article_id=None, chat_id=chat_id, kind=DeliveryKind.ALERT, alert_key=key, body=body
        )

    async def enqueue_edit(
        self, article_id: int, chat_id: int, revision: int, now: datetime
    ) -> int:
        """Add an edit of the article's post in the chat, keyed by the story's revision: a run
        repeated after a crash finds it there (1 added, 0 already queued)."""
        return await self._enqueue_one(
            now, article_id=article_id, chat_id=chat_id, kind=DeliveryKind.EDIT, revision=revision
        )

    async def _enqueue_one(self, now: datetime, *, kind: DeliveryKind, **key: object) -> int:
        """One pending row, unless its unique key is taken already: 1 added, 0 already there."""
        stmt = (
            self._insert(_DELIVERIES)
            .values(
                status=DeliveryStatus.PENDING.value,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
                kind=kind.value,
                **key,
            )
            .on_conflict_do_nothing()
            .returning(_DELIVERIES.c.id)
        )
        return len((await self.session.execute(stmt)).all())

    async def last_sent_at(self, chat_id: int) -> datetime | None:
        """When the last post to the chat went out (the channel's last post, for /stats); edits
        and alerts are not posts."""
        return await self.session.scalar(
            select(func.max(DeliveryRow.sent_at)).where(
                DeliveryRow.chat_id == chat_id,
                DeliveryRow.status == DeliveryStatus.SENT,
                DeliveryRow.kind == DeliveryKind.POST,
            )
        )

    async def last_revision(self, article_id: int, chat_id: int) -> int:
        """The highest revision queued for the article's post in the chat (0: the post only)."""
        found = await self.session.scalar(
            select(func.max(DeliveryRow.revision)).where(
                DeliveryRow.article_id == article_id,
                DeliveryRow.chat_id == chat_id,
                DeliveryRow.thread_id == 0,
            )
        )
        return int(found or 0)

    async def chats_with_story(
        self, story_id: int, chat_ids: Sequence[int], besides: int
    ) -> set[tuple[int, int]]:
        """The (chat, thread) subscribers of the chats that have (or are owed) a post of another
        article of the story than `besides` (whose own repeats ON CONFLICT already drops).

        The story's few other article ids are read first, so a story of one article costs one
        query, and the deliveries are looked up by (article, chat), the unique index's order:
        joined to articles, in a run that had just queued 100k rows (stale statistics until
        commit), PostgreSQL scanned the whole outbox for each page of 500 chats."""
        articles = list(
            await self.session.scalars(
                select(ArticleRow.id).where(
                    ArticleRow.story_id == story_id, ArticleRow.id != besides
                )
            )
        )
        found: set[tuple[int, int]] = set()
        if not articles:
            return found
        for chunk in in_chunks(sorted(set(chat_ids))):
            rows = await self.session.execute(
                select(DeliveryRow.chat_id, DeliveryRow.thread_id).where(
                    DeliveryRow.article_id.in_(articles),
                    DeliveryRow.chat_id.in_(chunk),
                    DeliveryRow.kind == DeliveryKind.POST,
                )
            )
            found.update((int(c), int(t)) for c, t in rows)
        return found

    async def _insert_deliveries(
        self, article_id: int, targets: list[tuple[int, int]], now: datetime
    ) -> int:
        """One INSERT … SELECT over the chunk's chat ids passed as one parameter (an array on
        PostgreSQL, a JSON list on SQLite) rather than six parameters per row: psycopg re-parses
        a long statement text on every execution, which was most of a large fan-out's time.

        Counted with RETURNING: rowcount is -1 for multi-row inserts on some drivers, and rows
        left alone by ON CONFLICT DO NOTHING return nothing."""
        if self._postgres:
            array = postgresql.ARRAY(BigInteger)
            chats = (
                func.unnest(
                    bindparam("chat_ids", [c for c, _ in targets], type_=array),
                    bindparam("thread_ids", [t for _, t in targets], type_=array),
                )
                .table_valued("chat_id", "thread_id")
                .render_derived()
            )
            chat_id: ColumnElement[Any] = chats.c.chat_id
            thread_id: ColumnElement[Any] = chats.c.thread_id
        else:
            chats = func.json_each(bindparam("targets", json.dumps(targets))).table_valued("value")
            chat_id = func.json_extract(chats.c.value, "$[0]")
            thread_id = func.json_extract(chats.c.value, "$[1]")
        rows = select(
            sqlalchemy_literal(article_id, Integer),
            chat_id,
            thread_id,
            sqlalchemy_literal(DeliveryStatus.PENDING.value, String),
            sqlalchemy_literal(0, Integer),
            sqlalchemy_literal(now, UtcDateTime()),
            sqlalchemy_literal(now, UtcDateTime()),
        ).where(true())  # SQLite: without a WHERE, "ON CONFLICT" would parse as a join's ON
        stmt = (
            self._insert(_DELIVERIES)
            .from_select(
                [
                    "article_id",
                    "chat_id",
                    "thread_id",
                    "status",
                    "attempts",
                    "next_attempt_at",
                    "created_at",
                ],
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

        One worker per database, and one statement (an UPDATE of the due ids, re-checking the
        status, RETURNING the rows): a chat deactivated meanwhile has its rows cancelled, and
        they stay so. A row left in `sending` by a crash is released at the next start."""
        params = {"now": now, "limit": limit, "skip": list(skip_chats)}
        if self._postgres:
            claimed = await self.session.execute(_CLAIM_DUE, params)
            return sorted(map(_claimed, claimed), key=_claim_order)
        times: dict[str, datetime] = {}
        claimed = await self.session.execute(_CLAIM_DUE_SQLITE, params)
        return sorted((_claimed(row, times) for row in claimed), key=_claim_order)

    async def next_due_at(self, skip_chats: Iterable[int] = ()) -> datetime | None:
        stmt = select(func.min(DeliveryRow.next_attempt_at)).where(
            status_is(DeliveryStatus.PENDING)
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
            .where(status_is(DeliveryStatus.SENDING))
            .values(status=DeliveryStatus.PENDING)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def deliveries_for(self, chat_id: int) -> list[Delivery]:
        rows = await self.session.scalars(
            select(DeliveryRow).where(DeliveryRow.chat_id == chat_id).order_by(DeliveryRow.id)
        )
        return [delivery_record(r) for r in rows]

    async def delivery(self, article_id: int, chat_id: int, thread_id: int = 0) -> Delivery | None:
        """The article's post to the chat's thread (not its edits)."""
        row = await self.session.scalar(
            select(DeliveryRow).where(
                DeliveryRow.article_id == article_id,
                DeliveryRow.chat_id == chat_id,
                DeliveryRow.thread_id == thread_id,
                DeliveryRow.kind == DeliveryKind.POST,
            )
        )
        return None if row is None else delivery_record(row)

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

    async def enqueue_digests(
        self, digests: Sequence[tuple[int, int, str, str]], now: datetime
    ) -> int:
        """Queue digests, each (chat id, thread id, key, text): a message of the bot's own like
        an alert, once per (chat, key) — the key names the thread and the period, so a slot
        assembled again after a crash adds nothing. Returns how many were added.

        One statement run for many rows (compiled once, cached), not one multi-row VALUES:
        compiling that for a page of digests held the event loop for tens of milliseconds."""
        if not digests:
            return 0
        stmt = self._insert(_DELIVERIES).on_conflict_do_nothing().returning(_DELIVERIES.c.id)
        rows = [
            {
                "article_id": None,
                "chat_id": chat_id,
                "thread_id": thread_id,
                "status": DeliveryStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "kind": DeliveryKind.ALERT.value,
                "alert_key": key,
                "body": body,
            }
            for chat_id, thread_id, key, body in digests
        ]
        return len((await self.session.execute(stmt, rows)).all())
