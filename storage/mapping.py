"""Rows to records and records to columns: the one place that knows how a table's columns
spell a domain record. A record's field is read from the row's column of the same name; what
is written here is only what differs (an enum, JSON, a field no column holds)."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Row

from storage.records import (
    Article,
    ArticleData,
    Chat,
    ChatKind,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    DigestMode,
    FeedHealth,
    SubscriberSettings,
)
from storage.tables import ArticleRow, ChatRow, ChatSettingsRow, DeliveryRow, FeedSourceRow

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")

# The article columns an ingested version writes (the rest are the file it came from and when).
ARTICLE_COLUMNS = (
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


def article_columns(data: ArticleData) -> Mapping[str, Any]:
    return {name: getattr(data, name) for name in ARTICLE_COLUMNS}


def _record(record: type[R], row: object, /, **converted: Any) -> R:
    """A `record` with each field read from the row's column of the same name, but for
    `converted`: the fields whose column needs converting, or that no column holds."""
    same = {name: getattr(row, name) for name in _field_names(record) if name not in converted}
    return record(**same, **converted)


@functools.cache
def _field_names(record: type[DataclassInstance]) -> tuple[str, ...]:
    return tuple(f.name for f in fields(record))


def article_record(row: ArticleRow, topics: tuple[str, ...]) -> Article:
    return _record(Article, row, topics=topics, rising=row.rising_at is not None)


def chat_record(row: ChatRow) -> Chat:
    return _record(Chat, row, kind=ChatKind(row.kind))


def delivery_record(row: DeliveryRow | Row[Any]) -> Delivery:
    """From the ORM row or a Core row of its columns (the claim reads those: no ORM objects)."""
    return _record(Delivery, row, status=DeliveryStatus(row.status), kind=DeliveryKind(row.kind))


def settings_record(row: ChatSettingsRow | Row[Any]) -> SubscriberSettings:
    return _record(
        SubscriberSettings,
        row,
        filters=tuple(json.loads(row.filters)) if row.filters else (),
        digest=DigestMode(row.digest),
    )


def filters_text(terms: tuple[str, ...]) -> str:
    """The canonical text of a filter set: one string per distinct set, whatever the order the
    terms were added in, so fan-out can group subscribers by it."""
    return json.dumps(sorted(set(terms)), ensure_ascii=False) if terms else ""


def health_record(row: FeedSourceRow) -> FeedHealth:
    return _record(FeedHealth, row)
