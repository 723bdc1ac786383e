"""Writes article files in the source format (YAML front matter) for tests and benchmarks, and
builds stored articles for the pure tests."""

from __future__ import annotations

import os
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from storage.records import Article


def article_text(
    *,
    title: str | None = None,
    url: str = "https://example.com/news/a-model-learns-to-read",
    excerpt: str = "Researchers report a model that reads &amp; writes.",
    heat: int | None = 150,
    published: bool | None = True,
    published_at: datetime | str | None = None,
    topics: tuple[str, ...] = ("AI", "Natural Language Processing"),
    image: str | None = "",
    provider: str = "Example News",
    domain: str = "example.com",
    **extra: Any,
) -> str:
    if title is None:
        # One story per URL unless a test says otherwise: a number of its own keeps two
        # articles of one outlet apart (jobs.stories).
        title = f"A model learns to read, report {zlib.crc32(url.encode())}"
    when = published_at if published_at is not None else datetime.now(UTC)
    front: dict[str, Any] = {
        "category": "news",
        "title": title,
        "excerpt": excerpt,
        "publishedDateTime": when,
        "webUrl": url,
        "type": "article",
    }
    if heat is not None:
        front["heat"] = heat
    if published is not None:
        front["published"] = published
    front["provider"] = {
        "name": provider,
        "domain": domain,
        "images": [{"url": "https://example.com/logo-50x50.jpg", "width": 50, "height": 50}],
    }
    front["topics"] = list(topics)
    if image == "":  # the default: an image of its own (one many articles share is generic)
        image = "https://img.example.com/" + url.rstrip("/").rsplit("/", 1)[-1] + ".jpg"
    if image:
        front["images"] = [{"url": image, "width": 1200, "height": 630, "isCached": True}]
    front.update(extra)
    body = yaml.safe_dump(front, allow_unicode=True, sort_keys=False)
    return f"---\n{body}---\n"


def write_article(folder: Path, name: str, *, mtime_ns: int | None = None, **fields: Any) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(article_text(**fields), encoding="utf-8")
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


def stored_article(now: datetime, **fields: Any) -> Article:
    """A stored article first seen, updated and published at `now`: `fields` over plain defaults
    (id 1, https://example.com/a, heat 150, no excerpt, source, image or topics)."""
    defaults: dict[str, Any] = {
        "id": 1,
        "url": "https://example.com/a",
        "link": "https://example.com/a",
        "title": "T",
        "excerpt": "",
        "source_name": None,
        "source_domain": None,
        "image_url": None,
        "heat": 150,
        "published": True,
        "published_at": now,
        "topics": (),
        "first_seen_at": now,
        "updated_at": now,
    }
    return Article(**(defaults | fields))
