"""JSON feed pages to articles, next-page addresses and backoff delays: pure, table-driven."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobs.ingest.feed_pages import (
    BACKOFF_BASE,
    BACKOFF_MAX,
    FeedPageError,
    backoff_delay,
    next_page_url,
    parse_page,
)

FIXTURES = Path(__file__).parent / "fixtures" / "feed" / "ai" / "api" / "news"
SOURCE = "https://everyday-cc.github.io/ai/api/news/index.json"


def test_a_page_with_odd_and_bad_items() -> None:
    page = parse_page((FIXTURES / "index.json").read_bytes(), SOURCE, SOURCE)
    assert [a.url for a in page.items] == [
        "https://example.org/hot-robot-hands",
        "https://example.org/quiet-model",
        "https://example.org/undated-chip",
    ]
    hot, quiet, undated = page.items
    assert hot.heat == 250 and hot.image_url == "https://img.example.org/hot-robot-hands.jpg"
    assert hot.published_at == datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    assert hot.topics == ("AI in Robotics", "AI") and hot.source_domain == "example.org"
    assert hot.published is None  # no flag is not "unpublished"
    assert (quiet.heat, quiet.image_url) == (None, None)
    assert undated.published_at is None and undated.image_url is None
    assert page.skipped == [
        ("item 4 (https://example.org/no-title/)", "no title"),
        ("item 5 (not a url)", "no usable URL (webUrl/originalUrl)"),
        ("item 6", "not an object but a JSON int"),
    ]
    assert page.next_url == "https://everyday-cc.github.io/ai/api/news/page/2/index.json"


def test_a_repeated_item_counts_once() -> None:
    document = json.loads((FIXTURES / "page" / "2" / "index.json").read_bytes())
    document["value"].append(document["value"][0])
    page = parse_page(json.dumps(document).encode(), SOURCE, SOURCE)
    assert len(page.items) == 3 and page.skipped == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"page": 1, "value": [', "invalid JSON"),
        (b"\xff\xfe{}", "invalid JSON"),
        (b"[1, 2]", "not a feed page: a JSON list, not an object"),
        (b'{"page": 1, "value": null}', 'not a feed page: no "value" list'),
        (b"<html>Not Found</html>", "invalid JSON"),
    ],
)
def test_a_page_that_is_not_a_feed_page(body: bytes, reason: str) -> None:
    with pytest.raises(FeedPageError) as error:
        parse_page(body, SOURCE, SOURCE)
    assert error.value.reason.startswith(reason)


TOPIC = "https://everyday-cc.github.io/ai/api/news/computer-vision/index.json"
PAGE_2 = "https://everyday-cc.github.io/ai/api/news/page/2/index.json"


@pytest.mark.parametrize(
    ("next_page", "page_url", "source_url", "expected"),
    [
        (2, SOURCE, SOURCE, PAGE_2),
        # numbers resolve against the source, not the page the number is on
        (3, PAGE_2, SOURCE, "https://everyday-cc.github.io/ai/api/news/page/3/index.json"),
        (
            2,
            TOPIC,
            TOPIC,
            "https://everyday-cc.github.io/ai/api/news/computer-vision/page/2/index.json",
        ),
        ("2", SOURCE, SOURCE, PAGE_2),
        (None, SOURCE, SOURCE, None),
        (False, SOURCE, SOURCE, None),
        (1, SOURCE, SOURCE, None),  # back to page 1 is no next page
        (0, SOURCE, SOURCE, None),
        ("", SOURCE, SOURCE, None),
        # a link: relative to the page it is on, or absolute
        (
            "../3/index.json",
            PAGE_2,
            SOURCE,
            "https://everyday-cc.github.io/ai/api/news/page/3/index.json",
        ),
        ("https://mirror.example/n/2.json", SOURCE, SOURCE, "https://mirror.example/n/2.json"),
        ("javascript:alert(1)", SOURCE, SOURCE, None),
        ({"page": 2}, SOURCE, SOURCE, None),
        ("http://[bad", SOURCE, SOURCE, None),
        ("http://exa mple.com/2.json", SOURCE, SOURCE, None),
        ("page/2/\x00index.json", SOURCE, SOURCE, None),
        ("https://example.org/" + "x" * 3000, SOURCE, SOURCE, None),
    ],
)
def test_next_page_url(
    next_page: object, page_url: str, source_url: str, expected: str | None
) -> None:
    assert next_page_url(next_page, page_url, source_url) == expected


def test_backoff_grows_from_the_base_to_the_cap_whatever_the_jitter() -> None:
    assert backoff_delay(1, 0.0) == BACKOFF_BASE / 2
    assert backoff_delay(1, 0.999999) <= BACKOFF_BASE
    assert backoff_delay(3, 1.0) == BACKOFF_BASE * 4
    for failures in range(1, 40):
        # the least a failure can wait is the most the one before could
        assert backoff_delay(failures + 1, 0.0) >= backoff_delay(failures, 1.0) or (
            backoff_delay(failures, 1.0) == BACKOFF_MAX
        )
        assert BACKOFF_BASE / 2 <= backoff_delay(failures, 0.5) <= BACKOFF_MAX
    assert backoff_delay(1000, 1.0) == BACKOFF_MAX
    assert backoff_delay(0, 1.0) == BACKOFF_BASE  # a nonsense count is the first failure
    assert backoff_delay(2, 0.5) == timedelta(seconds=90)


def test_strings_no_database_can_store_are_cleaned() -> None:
    body = json.dumps(
        {
            "value": [
                {
                    "title": "Nul\u0000 title",
                    "excerpt": "lone \ud800 surrogate",
                    "webUrl": "https://example.org/odd",
                    "topics": ["A\u0000I"],
                }
            ]
        }
    ).encode()
    (article,) = parse_page(body, SOURCE, SOURCE).items
    assert article.title == "Nul title"
    assert article.excerpt == "lone \ufffd surrogate"
    assert article.topics == ("AI",)
