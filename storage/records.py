"""Plain domain records shared by every layer; no SQLAlchemy, no Telegram."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ArticleData:
    """One article as read from a source, before it is stored.

    `url` is the normalised identity (tracking parameters, fragment and trailing slash dropped);
    `link` is the address as the source gave it, which is what a reader is sent to.
    `excerpt` is kept as the source wrote it (HTML entities included): cleaning is a formatting
    decision, and a better cleaner later must not need a re-ingest.
    """

    url: str
    link: str
    title: str
    excerpt: str = ""
    source_name: str | None = None
    source_domain: str | None = None
    image_url: str | None = None
    heat: int | None = None
    published: bool | None = None
    published_at: datetime | None = None  # always timezone-aware UTC when set
    topics: tuple[str, ...] = ()
    # Every usable preview image as written, in source order (image_url is the first); empty
    # with an image_url set means that one alone.
    images: tuple[str, ...] = ()

    @property
    def image_urls(self) -> tuple[str, ...]:
        if self.images:
            return self.images
        return (self.image_url,) if self.image_url else ()


@dataclass(frozen=True, slots=True)
class HeatSample:
    """An article's heat as an ingest saw it change."""

    at: datetime
    heat: int


@dataclass(frozen=True, slots=True)
class SourcedArticle:
    """An article as read from a file, with the file that holds it (what a bulk write takes)."""

    data: ArticleData
    source_path: str
    source_mtime_ns: int


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """Enough of a stored article to decide whether a file's version replaces it."""

    id: int
    source_path: str
    source_mtime_ns: int
    heat: int | None = None  # the stored heat: a changed one is a heat-history sample


@dataclass(frozen=True, slots=True)
class Article:
    """A stored article."""

    id: int
    url: str
    link: str
    title: str
    excerpt: str
    source_name: str | None
    source_domain: str | None
    image_url: str | None
    heat: int | None
    published: bool | None
    published_at: datetime | None
    topics: tuple[str, ...]
    first_seen_at: datetime
    updated_at: datetime
    story_id: int | None = None  # set once a run posted it or merged it into a story
    rising: bool = False  # selected as a rising story: its post carries the 📈 mark


class ChatKind(enum.StrEnum):
    PRIVATE = "private"
    GROUP = "group"
    SUPERGROUP = "supergroup"
    CHANNEL = "channel"


@dataclass(frozen=True, slots=True)
class Chat:
    id: int
    kind: ChatKind
    title: str | None
    active: bool
    language: str | None = None  # chosen with /language; None: not chosen
    inactive_reason: str | None = None
    updated_at: datetime | None = None
    app_language: str | None = None  # a private chat's user's app language (an IETF tag)

    @property
    def reader_language(self) -> str | None:
        """What the bot writes to the chat in unasked (posts' buttons, digests, alerts): the
        /language choice, else its user's app language (a tag bot.i18n resolves, to
        telegram.language when it has no catalogue); None: telegram.language."""
        return self.language or self.app_language


@dataclass(frozen=True, slots=True)
class Subscriber:
    """A chat (or one forum thread of it) following at least one of the topics asked about:
    what fan-out decides on."""

    chat_id: int
    active: bool
    min_heat: int | None  # the subscriber's own threshold; None: the global one
    topic_keys: frozenset[str]  # the keys (topic_key) of the asked-about topics it follows
    thread_id: int = 0  # 0: the chat itself
    filters: str = ""  # SubscriberSettings.filters' canonical text: "" for none
    digest: bool = False  # gets a digest at its slot instead of each post
    paused_until: datetime | None = None  # no posts before then (/stop's "pause for a week")


class DigestMode(enum.StrEnum):
    OFF = "off"
    HOURLY = "hourly"
    DAILY = "daily"


@dataclass(frozen=True, slots=True)
class SubscriberSettings:
    """What a subscriber (chat, thread) chose; the defaults when it chose nothing."""

    chat_id: int
    thread_id: int = 0
    silent: bool = False  # posts sent with disable_notification
    compact: bool = False  # title and link only: no photo, no excerpt
    link_preview: bool = True  # text posts show the link's preview
    min_heat: int | None = None
    filters: tuple[str, ...] = ()  # "+term" and "-term", as /filter stored them
    digest: DigestMode = DigestMode.OFF
    digest_minute: int = 0  # daily digests: minutes after midnight in `timezone`
    timezone: str = "UTC"
    paused_until: datetime | None = None
    active: bool = True  # False: the forum thread was closed or deleted
    inactive_reason: str | None = None


@dataclass(frozen=True, slots=True)
class TopicSummary:
    id: int
    name: str
    articles: int  # stored articles carrying the topic


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class DeliveryKind(enum.StrEnum):
    POST = "post"  # a message to send
    EDIT = "edit"  # a change to the channel post of the row's article (its story's lead)
    ALERT = "alert"  # an operator alert to an admin's chat (article_id None, body its text)


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    article_id: int | None  # None: an operator alert
    chat_id: int
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    message_id: int | None
    created_at: datetime
    sent_at: datetime | None
    thread_id: int = 0  # the forum thread it goes to; 0: the chat itself
    alert_key: str | None = None  # an operator alert (article_id is then None)
    body: str | None = None  # the alert's text
    kind: DeliveryKind = DeliveryKind.POST
    revision: int = 0  # 0 for a post; the story's edit number for an edit
    photo: str | None = None  # a sent post's photo URL, kept for its edits (DeliveryRow.photo)


@dataclass(frozen=True, slots=True)
class OpenStory:
    """A story still taking new outlets and source edits (opened within the story window)."""

    id: int
    lead_article_id: int
    opened_at: datetime
    version: str  # what its channel post was last queued to show
    revision: int  # edits queued so far


@dataclass(slots=True)
class IngestReport:
    """What one ingest pass did, for the CLI, the log and /stats."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)

    @property
    def parsed(self) -> int:
        return self.new + self.updated

    def counts(self) -> IngestCounts:
        return IngestCounts(self.new, self.updated, self.unchanged, len(self.skipped))


@dataclass(frozen=True, slots=True)
class IngestCounts:
    """An ingest pass in figures: what the last scheduled run keeps of its ingest for /stats
    (as JSON, under storage.state_keys.LAST_INGEST_KEY)."""

    new: int
    updated: int
    unchanged: int
    skipped: int


@dataclass(frozen=True, slots=True)
class FeedHealth:
    """How a JSON feed source has been doing: what /stats shows and what backoff decides on."""

    url: str
    consecutive_failures: int = 0  # since the last successful pass; 0 when it is healthy
    total_errors: int = 0  # failed passes ever
    last_error: str | None = None
    last_error_at: datetime | None = None
    last_success_at: datetime | None = None
    next_attempt_at: datetime | None = None  # None: the next run may fetch it


@dataclass(frozen=True, slots=True)
class PageValidators:
    """The validators a feed page was last served with, sent back in a conditional GET."""

    etag: str | None
    last_modified: str | None


@dataclass(frozen=True, slots=True)
class KnownPage:
    """A feed page as last served: its validators, and the next page it pointed at (a 304 has no
    body to read that from)."""

    validators: PageValidators
    next_url: str | None


def topic_key(name: str) -> str:
    """The identity of a topic name: "Computer Vision", "computer  vision" and "#ComputerVision"
    are one topic."""
    return "".join(ch for ch in name.casefold() if ch.isalnum())
