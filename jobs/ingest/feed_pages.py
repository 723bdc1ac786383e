"""One page of the site's JSON API to articles, and the arithmetic of retrying a failing feed.

A page looks like `{"page": 1, "value": [item, ...], "nextPage": 2}`; an item carries the same
keys as an article file's front matter (title, webUrl, originalUrl, excerpt, heat, images,
publishedDateTime, provider, topics), and some of them are null on real pages (heat, images,
ampWebUrl). Parsing is pure and total: a page either parses into items and a next-page address
or raises `FeedPageError`; one bad item is skipped with a reason, never the page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

from jobs.backoff import Backoff

# The item shape is the front matter's: one mapping, so a file and a feed item describing the
# same article store the same fields.
from jobs.ingest.fields import UnusableArticleError, article_from_fields, short_reason
from jobs.ingest.urls import MAX_URL_CHARS
from storage.records import ArticleData

# Real pages are about 50 KB (25 items); the cap bounds memory when something else answers.
MAX_PAGE_BYTES = 8 * 1024 * 1024

# Backoff after failed passes: 1 min, 2, 4, ... up to 1 h, each drawn between half and all of
# that (jobs.backoff), so several bots behind one outage do not retry in step.
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=1)
FEED_BACKOFF = Backoff(base=BACKOFF_BASE, cap=BACKOFF_MAX)


class FeedPageError(Exception):
    """A page that cannot be used at all; `reason` is short and safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class FeedPage:
    url: str
    items: list[ArticleData]  # in page order, each URL once (the first occurrence wins)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (item label, reason)
    next_url: str | None = None


def parse_page(body: bytes, page_url: str, source_url: str) -> FeedPage:
    """Raises FeedPageError and nothing else."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise FeedPageError(short_reason(f"invalid JSON: {error}")) from None
    if not isinstance(document, dict):
        raise FeedPageError(f"not a feed page: a JSON {type(document).__name__}, not an object")
    values = document.get("value")
    if not isinstance(values, list):
        raise FeedPageError('not a feed page: no "value" list')
    items: list[ArticleData] = []
    skipped: list[tuple[str, str]] = []
    urls: set[str] = set()
    for index, raw in enumerate(values, 1):
        label = _label(index, raw)
        try:
            article = parse_item(raw)
        except UnusableArticleError as error:
            skipped.append((label, error.reason))
            continue
        if article.url not in urls:
            urls.add(article.url)
            items.append(article)
    return FeedPage(
        url=page_url,
        items=items,
        skipped=skipped,
        next_url=next_page_url(document.get("nextPage"), page_url, source_url),
    )


def parse_item(raw: object) -> ArticleData:
    """One item of a page's "value" list; raises UnusableArticleError with a reason."""
    if not isinstance(raw, dict):
        raise UnusableArticleError(f"not an object but a JSON {type(raw).__name__}")
    try:
        return article_from_fields(_storable(raw))
    except UnusableArticleError:
        raise
    except Exception as error:  # third-party input: a shape no one foresaw skips one item only
        raise UnusableArticleError(
            short_reason(f"unreadable item ({type(error).__name__}: {error})")
        ) from None


def _storable(value: Any) -> Any:
    """The item with every string made storable: JSON can spell what YAML files cannot, a NUL
    (`\\u0000`, which PostgreSQL text refuses) and a lone surrogate (`\\ud800`, which no UTF-8
    encoder takes). NULs are dropped, lone surrogates become U+FFFD."""
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, list):
        return [_storable(v) for v in value]
    if isinstance(value, dict):
        return {k: _storable(v) for k, v in value.items()}
    return value


def _clean_text(text: str) -> str:
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def next_page_url(next_page: object, page_url: str, source_url: str) -> str | None:
    """Where the next page is, or None at the last page.

    The site writes the next page's number (`"nextPage": 2`), and its pages live at
    `page/<n>/index.json` beside page 1 (`.../news/index.json` → `.../news/page/2/index.json`),
    so a number is resolved against the source's own address. A string is taken as a link,
    relative to the page it is on, as HTTP would."""
    if isinstance(next_page, bool) or next_page is None:
        return None
    if isinstance(next_page, int):
        return urljoin(source_url, f"page/{next_page}/index.json") if next_page > 1 else None
    if isinstance(next_page, str) and next_page.strip():
        text = next_page.strip()
        if text.isdigit():
            return next_page_url(int(text), page_url, source_url)
        try:
            url = urljoin(page_url, text)
            scheme = urlsplit(url).scheme
        except ValueError:  # "http://[bad": urllib refuses it; the page simply ends the list
            return None
        # Spaces and control characters (a NUL, which PostgreSQL text refuses) are no address,
        # and the address is a key of the validators table.
        if scheme not in ("http", "https") or len(url) > MAX_URL_CHARS:
            return None
        return None if any(ch <= " " or ch == "\x7f" for ch in url) else url
    return None


def backoff_delay(failures: int, rand: float) -> timedelta:
    """How long to leave a source alone after its `failures`-th failure in a row; `rand` is a
    uniform draw from [0, 1) (injected, so tests choose it)."""
    return FEED_BACKOFF.delay(failures, rand)


def _label(index: int, raw: object) -> str:
    """Names an item in a log line: its position, and its address when it has one."""
    if isinstance(raw, dict):
        for key in ("webUrl", "originalUrl", "path"):
            value: Any = raw.get(key)
            if isinstance(value, str) and value.strip():
                return f"item {index} ({short_reason(value.strip())})"
    return f"item {index}"
