"""Rows to records and records to columns: the one place that knows how a table's columns
spell a domain record."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

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


def article_record(row: ArticleRow, topics: tuple[str, ...]) -> Article:
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
        story_id=row.story_id,
        rising=row.rising_at is not None,
    )


def chat_record(row: ChatRow) -> Chat:
    return Chat(
        id=row.id,
        kind=ChatKind(row.kind),
        title=row.title,
        active=row.active,
        language=row.language,
        inactive_reason=row.inactive_reason,
        updated_at=row.updated_at,
    )


def delivery_record(row: DeliveryRow | Row[Any]) -> Delivery:
    """From the ORM row or a Core row of its columns (the claim reads those: no ORM objects)."""
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
        thread_id=row.thread_id,
        alert_key=row.alert_key,
        body=row.body,
        kind=DeliveryKind(row.kind),
        revision=row.revision,
    )


def settings_record(row: ChatSettingsRow | Row[Any]) -> SubscriberSettings:
    return SubscriberSettings(
        chat_id=row.chat_id,
        thread_id=row.thread_id,
        silent=row.silent,
        compact=row.compact,
        link_preview=row.link_preview,
        min_heat=row.min_heat,
        filters=tuple(json.loads(row.filters)) if row.filters else (),
        digest=DigestMode(row.digest),
        digest_minute=row.digest_minute,
        timezone=row.timezone,
        paused_until=row.paused_until,
        active=row.active,
        inactive_reason=row.inactive_reason,
    )


def filters_text(terms: tuple[str, ...]) -> str:
    """The canonical text of a filter set: one string per distinct set, whatever the order the
    terms were added in, so fan-out can group subscribers by it."""
    return json.dumps(sorted(set(terms)), ensure_ascii=False) if terms else ""


def health_record(row: FeedSourceRow) -> FeedHealth:
    return FeedHealth(
        url=row.url,
        consecutive_failures=row.consecutive_failures,
        total_errors=row.total_errors,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
        last_success_at=row.last_success_at,
        next_attempt_at=row.next_attempt_at,
    )
