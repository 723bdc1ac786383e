"""An article's fields (an article file's front matter, or an item of the JSON feed: the same
keys) to an `ArticleData`: one mapping, so a file and a feed item describing the same article
store the same fields.

The sources are third-party and anything can be in a field: a key of the wrong type, a number
where text belongs, a date that does not exist. The mapping is pure and total: a mapping of
fields either becomes an `ArticleData` or raises `UnusableArticleError` with a reason short
enough for a log line and the ingest report.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any

from jobs.ingest.urls import normalise_url
from storage.records import ArticleData

# No post ever shows more than 4096 characters of an excerpt (Telegram's text limit), so keeping
# more only bloats the database; 20,000 leaves room for entities and markup that cleaning removes.
MAX_EXCERPT_CHARS = 20_000

# Smaller images are logos or tracking pixels; Telegram would post them as a blurry thumbnail.
MIN_IMAGE_SIDE = 100

# Real articles carry one or two; the cap keeps a junk file from writing thousands of rows.
MAX_IMAGES = 10

# The width of the topics table's name column; longer "topics" are junk, not names.
MAX_TOPIC_CHARS = 200
# Real articles carry 1–6; the cap keeps a junk file from creating thousands of topic rows.
MAX_TOPICS = 50

# The heat column is a 32-bit integer; a heat beyond it is junk, not a very hot article.
_HEAT_RANGE = range(-(2**31), 2**31)

_MAX_REASON_CHARS = 200


class UnusableArticleError(Exception):
    """A file or feed item that is not a usable article; `reason` is short, human and safe to
    log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# The only top-level fields `article_from_fields` reads: the front matter reader builds no others.
FIELDS = frozenset(
    {
        "title",
        "webUrl",
        "originalUrl",
        "provider",
        "excerpt",
        "images",
        "heat",
        "published",
        "publishedDateTime",
        "topics",
    }
)


def article_from_fields(fields: dict[Any, Any]) -> ArticleData:
    """The article a file's front matter or a feed item describes; raises UnusableArticleError
    when it has no title or no usable URL. A field of the wrong type counts as missing."""
    title = _text(fields.get("title"))
    if not title:
        raise UnusableArticleError("no title")
    url, link = _identity(fields)
    provider = fields.get("provider")
    if not isinstance(provider, dict):
        provider = {}
    domain = _text(provider.get("domain"))
    excerpt = _text(fields.get("excerpt"), strip=False)
    images = _image_urls(fields.get("images"))
    return ArticleData(
        url=url,
        link=link,
        title=title,
        excerpt=excerpt[:MAX_EXCERPT_CHARS],
        source_name=_text(provider.get("name")) or None,
        source_domain=domain.lower() or None,
        image_url=images[0] if images else None,
        images=images,
        heat=_heat(fields.get("heat")),
        published=_published(fields.get("published")),
        published_at=_published_at(fields.get("publishedDateTime")),
        topics=_topics(fields.get("topics")),
    )


def _identity(fields: dict[Any, Any]) -> tuple[str, str]:
    # Videos have no webUrl, only the YouTube originalUrl; when both exist and differ, webUrl is
    # the article the file describes (originalUrl then points at another story).
    for key in ("webUrl", "originalUrl"):
        raw = fields.get(key)
        if isinstance(raw, str) and (url := normalise_url(raw)) is not None:
            return url, raw.strip()
    raise UnusableArticleError("no usable URL (webUrl/originalUrl)")


def _text(value: object, *, strip: bool = True) -> str:
    """A string field; numbers (a title like `2001`) count as text, anything else as missing."""
    if isinstance(value, bool):  # `title: yes` is YAML 1.1 for True: the spelling is lost
        return ""
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        return ""
    return value.strip() if strip else value


def _image_urls(images: object) -> tuple[str, ...]:
    """The preview images in source order; `images`, unlike `provider.images` (50×50 logos),
    holds previews. All of them, not just the first: a site's default image shared by many
    articles gives way to the article's next one (storage.images).

    The address is returned as written (checked, not normalised): Telegram fetches it, and image
    CDNs may need exactly the parameters and trailing slash that identity normalisation drops.
    """
    entries: Iterable[object]
    if isinstance(images, list):
        entries = images
    elif isinstance(images, dict | str):
        entries = [images]
    else:
        return ()
    found: list[str] = []
    for entry in entries:
        if isinstance(entry, str):
            raw: object = entry
        elif isinstance(entry, dict):
            raw = entry.get("url")
            if any(
                side is not None and side < MIN_IMAGE_SIDE
                for side in (_whole_number(entry.get("width")), _whole_number(entry.get("height")))
            ):
                continue
        else:
            continue
        if isinstance(raw, str) and normalise_url(raw) is not None:
            found.append(raw.strip())
            if len(found) == MAX_IMAGES:
                break
    return tuple(dict.fromkeys(found))


def _heat(value: object) -> int | None:
    heat = _whole_number(value)
    return heat if heat is not None and heat in _HEAT_RANGE else None


def _whole_number(value: object) -> int | None:
    """An int from a YAML int, a float (truncated) or a numeric string; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 30:  # also keeps int() clear of its 4300-digit limit
            return None
        try:
            return int(text)
        except ValueError:
            pass
        try:
            value = float(text)
        except ValueError:
            return None
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    return None


def _published(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return {"true": True, "false": False}.get(value.strip().lower())
    return None


def _published_at(value: object) -> datetime | None:
    """Always timezone-aware UTC; a time without an offset is taken as UTC, as the feed writes."""
    if isinstance(value, str):
        text = value.strip()
        if not text or len(text) > 64:
            return None
        try:
            value = datetime.fromisoformat(text)  # 3.11+: accepts "Z" and "+hh:mm"
        except ValueError:
            return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time.min)
    else:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # year 1 with a positive offset, year 9999 with a negative one
        return None


def _topics(value: object) -> tuple[str, ...]:
    """Distinct topic names in file order; the first spelling wins, as in the topics table.

    Compared case- and whitespace-insensitively, like the table's unique key, so a file listing
    "Computer Vision" and "computer  vision" does not tag the article twice.
    """
    items: list[object]
    if isinstance(value, str):
        items = [value]
    elif isinstance(value, list):
        items = value
    else:
        return ()
    topics: list[str] = []
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, str):
            continue
        name = item.strip()
        key = " ".join(name.split()).casefold()
        if not name or len(name) > MAX_TOPIC_CHARS or key in seen:
            continue
        seen.add(key)
        topics.append(name)
        if len(topics) == MAX_TOPICS:
            break
    return tuple(topics)


def short_reason(reason: str) -> str:
    """One line of at most _MAX_REASON_CHARS characters, for a log line and the report."""
    reason = " ".join(reason.split())
    if len(reason) <= _MAX_REASON_CHARS:
        return reason
    return reason[: _MAX_REASON_CHARS - 1] + "…"
