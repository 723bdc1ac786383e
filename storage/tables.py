"""SQLAlchemy 2.0 tables. Alembic migrations in storage/migrations own the schema; a test checks
that these models and the migrations agree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    literal_column,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

# Stable constraint names so migrations can alter them on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on every backend.

    SQLite has no time zones: it would hand back naive datetimes and compare strings, so values
    are stored as naive UTC there (one format, so string order is time order) and re-tagged
    as UTC on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: feedbot stores aware UTC datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ArticleRow(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    link: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    excerpt: Mapped[str] = mapped_column(Text, default="")
    source_name: Mapped[str | None] = mapped_column(Text)
    source_domain: Mapped[str | None] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(Text)
    heat: Mapped[int | None] = mapped_column(Integer)
    published: Mapped[bool | None] = mapped_column(Boolean)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    # Which file wrote the current version, and that file's mtime: of two files holding the same
    # URL, the one changed last wins, whatever order a scan meets them in.
    source_path: Mapped[str] = mapped_column(Text)
    source_mtime_ns: Mapped[int] = mapped_column(BigInteger)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The story (stories.id) the article was posted in or merged into; None until a run selected
    # it. No foreign key: a story points back at its lead article, and a cycle of foreign keys
    # would need ALTER TABLE tricks that SQLite lacks.
    story_id: Mapped[int | None] = mapped_column(Integer, index=True)

    # When a run selected it as a rising story (its post carries the 📈 mark); None: never.
    rising_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class StoryRow(Base):
    """One piece of news, however many outlets tell it: the channel posts it once (its lead
    article, the first one selected) and edits that post as the story changes."""

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lead_article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), unique=True
    )
    # When the story was first selected: it takes new outlets and source edits for the story
    # window from then on.
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    # What the channel post was last queued to show (jobs.stories.content_version), and how many
    # edits were queued: an edit's outbox row is keyed by that number.
    version: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(Integer, default=0)


class ArticleImageRow(Base):
    """Every preview image of an article, in source order, with its normalised address: an
    address many articles share is a site's default image, not the article's (storage.images)."""

    __tablename__ = "article_images"
    __table_args__ = (Index("ix_article_images_url_key", "url_key"),)

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    url: Mapped[str] = mapped_column(Text)  # as the source wrote it: what Telegram fetches
    url_key: Mapped[str] = mapped_column(String(2048))


class HeatSampleRow(Base):
    """An article's heat each time an ingest saw it change, for rising stories; pruned at write
    (storage.heat_history)."""

    __tablename__ = "heat_samples"
    __table_args__ = (Index("ix_heat_samples_article_id_at", "article_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    heat: Mapped[int] = mapped_column(Integer)


class TopicRow(Base):
    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    # Case- and space-insensitive key, so "Computer Vision" and "computer  vision" are one topic.
    key: Mapped[str] = mapped_column(String(200), unique=True)


class ArticleTopicRow(Base):
    __tablename__ = "article_topics"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    topic_id: Mapped[int] = mapped_column(
        ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class SourceFileRow(Base):
    """One row per file seen under a source folder: lets a rescan skip unchanged files."""

    __tablename__ = "source_files"

    path: Mapped[str] = mapped_column(String(1024), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    article_url: Mapped[str | None] = mapped_column(String(2048))
    skip_reason: Mapped[str | None] = mapped_column(Text)


# A language_code longer than this is cut: Telegram's are a language and a region or script
# (pt-br, zh-hans), and bot.i18n reads the first part first.
APP_LANGUAGE_LENGTH = 16


class ChatRow(Base):
    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    inactive_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # What /language chose there (a bot.i18n language); None: the user's own language in a
    # private chat, telegram.language elsewhere.
    language: Mapped[str | None] = mapped_column(String(16))
    # A private chat's user's own language: the language_code (an IETF tag) of their last
    # message or button press that had one. What the bot writes there unasked (a post's
    # buttons, a digest, an alert) follows it, as its replies do, unless /language chose.
    app_language: Mapped[str | None] = mapped_column(String(APP_LANGUAGE_LENGTH))


class SubscriptionRow(Base):
    """Who follows what. The subscriber is (chat, thread): a forum supergroup's threads each
    follow their own topics; thread 0 is the chat itself (every non-forum chat, and a forum's
    General thread)."""

    __tablename__ = "subscriptions"

    chat_id: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    thread_id: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, default=0, server_default="0"
    )
    topic_id: Mapped[int] = mapped_column(
        ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DeliveryRow(Base):
    """The outbox: one row per message owed to a chat, drained by the delivery worker. A post
    (kind "post", revision 0) per (article, chat); an edit of the channel post (kind "edit") per
    revision of its story, so a repeated run neither skips nor doubles one; an operator alert
    (kind "alert", no article) once per admin chat and alert key."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint(
            "article_id",
            "chat_id",
            "thread_id",
            "revision",
            name="uq_deliveries_article_chat_thread_revision",
        ),
        # Only the rows still owed are indexed by status (migration 0008): the due ones for
        # the claims, the claimed ones for a restart's or a dead worker's give-back. A query
        # served by one names its status as a literal (status_is), not as a parameter.
        Index(
            "ix_deliveries_pending",
            "next_attempt_at",
            "id",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index(
            "ix_deliveries_sending",
            "claimed_by",
            sqlite_where=text("status = 'sending'"),
            postgresql_where=text("status = 'sending'"),
        ),
        Index("ix_deliveries_chat_id", "chat_id"),
        # an operator alert once per (admin chat, alert key and episode); posts have no key
        UniqueConstraint("chat_id", "alert_key", name="uq_deliveries_chat_alert_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # None for an operator alert (alert_key and body set instead): it is about no article
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    # 0: the chat itself
    thread_id: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # An operator alert (jobs.alerts): its key ("channel#2:down") and its text, Telegram HTML
    # in the admin's language, written when it was decided so a restart sends the same words.
    alert_key: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(8), default="post", server_default="post")
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The delivery worker (DeliveryWorkerRow.id) that holds it while `sending` (PostgreSQL; on
    # SQLite the one process claims alone and leaves it empty).
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    # A sent post to a channel or group: the URL of the photo the message shows (NULL: a text
    # message, a private chat's post, which is never edited, or a post sent before photos were
    # kept), written with the sent mark and by an edit that replaced the photo: what the post's
    # next edit compares the article's image with (jobs.delivery.edits).
    photo: Mapped[str | None] = mapped_column(Text)


def status_is(status: str) -> ColumnElement[bool]:
    """`deliveries.status = '<status>'` with the status in the statement's text: a partial
    index (ix_deliveries_pending, ix_deliveries_sending) serves only a query whose condition
    names its status, which a bound parameter does not (SQLite's planner, PostgreSQL's generic
    plans). `status` is one of storage.records.DeliveryStatus, never outside input."""
    return DeliveryRow.__table__.c.status == literal_column(f"'{status}'")


class DeliveryWorkerRow(Base):
    """One row per live delivery process (`feedbot run` and each `feedbot worker`) on a
    PostgreSQL database: its heartbeat says it is alive; times are the server's clock, so
    workers on several machines agree on them."""

    __tablename__ = "delivery_workers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))  # "run" or "worker"
    host: Mapped[str] = mapped_column(Text)
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ChatLeaseRow(Base):
    """Chat affinity: the one worker allowed to send to a chat right now. Its primary key is
    what makes two workers' claims for one chat exclusive."""

    __tablename__ = "chat_leases"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    worker_id: Mapped[str] = mapped_column(String(64), index=True)


class ChatSettingsRow(Base):
    """What a subscriber (chat, thread) chose with /settings, /heat, /filter, /digest,
    /timezone and /stop's pause, and whether its thread can still be reached. No row: the
    defaults. Thread 0 is the chat itself."""

    __tablename__ = "chat_settings"

    chat_id: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    thread_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, default=0)
    silent: Mapped[bool] = mapped_column(Boolean, default=False)
    compact: Mapped[bool] = mapped_column(Boolean, default=False)
    link_preview: Mapped[bool] = mapped_column(Boolean, default=True)
    min_heat: Mapped[int | None] = mapped_column(Integer)
    # "" (no filter) or the canonical JSON list of terms: equal sets are equal strings, so
    # fan-out matches an article once per distinct set.
    filters: Mapped[str] = mapped_column(Text, default="")
    digest: Mapped[str] = mapped_column(String(8), default="off")  # off, hourly, daily
    digest_minute: Mapped[int] = mapped_column(Integer, default=0)  # daily: minutes after 00:00
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    paused_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # A forum thread closed or deleted: its subscriptions stop, the chat's others go on.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    inactive_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class StateRow(Base):
    """Small key/value facts that must survive restarts (paused, last run, last ingest)."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class FeedSourceRow(Base):
    """One row per JSON feed source (its page-1 URL): health and backoff, kept across restarts
    so a failing source is not hammered again right after a restart."""

    __tablename__ = "feed_sources"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    total_errors: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # No request before this moment (exponential backoff after failures); None: any time.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class FeedPageRow(Base):
    """HTTP validators of one fetched feed page, for conditional GETs (ETag / Last-Modified)."""

    __tablename__ = "feed_pages"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    # The page's `nextPage` as last served: a 304 has no body, and the pages after it must be
    # read (conditionally) anyway, for their heat.
    next_url: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime())
