"""Article files to ArticleData, field by field: title, excerpt, provider, images, heat,
published, publication time, topics."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobs.ingest import fields
from jobs.ingest.fields import MAX_EXCERPT_CHARS
from tests.article_parsing import article, failure

# --- title and excerpt ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "title"),
    [
        ('title: "  Padded title \\n"', "Padded title"),
        ("title: 2001", "2001"),
        ("title: 3.5", "3.5"),
        ("title: 人工智能新闻", "人工智能新闻"),
        ('title: "Quote \\"inside\\" &amp; entity"', 'Quote "inside" &amp; entity'),
    ],
)
def test_title(line: str, title: str) -> None:
    assert article(line, base='webUrl: "https://example.com/a"\n').title == title


@pytest.mark.parametrize(
    "line",
    [
        "",
        'title: ""',
        'title: "   "',
        "title: null",
        "title: [a, b]",
        "title: {a: 1}",
        "title: yes",  # YAML 1.1 reads it as True: the original spelling is gone
    ],
)
def test_no_title(line: str) -> None:
    assert failure(f'---\n{line}\nwebUrl: "https://example.com/a"\n---\n'.encode()) == "no title"


@pytest.mark.parametrize(
    ("line", "excerpt"),
    [
        ("", ""),
        ("excerpt: null", ""),
        ("excerpt: [a, b]", ""),
        ("excerpt: 42", "42"),
        (
            'excerpt: "  AI&#8217;s &amp; robots&hellip;\\n READ FULL ARTICLE "',
            "  AI&#8217;s &amp; robots&hellip;\n READ FULL ARTICLE ",
        ),
    ],
)
def test_excerpt_is_kept_as_written(line: str, excerpt: str) -> None:
    assert article(line).excerpt == excerpt


def test_megabyte_excerpt_is_capped() -> None:
    parsed = article(f'excerpt: "{"word " * 200_000}"')
    assert len(parsed.excerpt) == MAX_EXCERPT_CHARS
    assert parsed.excerpt.startswith("word word")


# --- provider, images ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "name", "domain"),
    [
        ("", None, None),
        ("provider: Example News", None, None),
        ("provider:\n  name: Example News\n  domain: Example.COM", "Example News", "example.com"),
        ("provider:\n  name: '  '\n  domain: 7", None, "7"),
        ("provider:\n  name: [x]", None, None),
    ],
)
def test_provider(lines: str, name: str | None, domain: str | None) -> None:
    parsed = article(lines)
    assert (parsed.source_name, parsed.source_domain) == (name, domain)


LOGO = """
provider:
  name: Example News
  images:
    - url: "https://example.com/logos/example-50x50.jpg"
      width: 50
      height: 50
"""


@pytest.mark.parametrize(
    ("lines", "image_url"),
    [
        ("", None),
        ("images: null", None),
        ("images: []", None),
        ("images: 7", None),
        (LOGO, None),  # provider logos are never previews
        (LOGO + "images: null", None),
        (
            "images:\n  - url: https://picsum.photos/seed/a/1200/630\n    width: 1200\n"
            "    height: 630\n    isCached: true",
            "https://picsum.photos/seed/a/1200/630",
        ),
        (  # the first usable entry wins; the link is kept as written
            "images:\n  - url: /assets/relative.jpg\n  - {url: 'https://cdn.example.com/x.jpg/'}\n"
            "  - {url: 'https://cdn.example.com/second.jpg'}",
            "https://cdn.example.com/x.jpg/",
        ),
        (
            "images:\n  - {url: 'https://cdn.example.com/pixel.gif', width: 1, height: 1}\n"
            "  - {url: 'https://cdn.example.com/thin.jpg', width: 1200, height: 99}\n"
            "  - {url: 'https://cdn.example.com/ok.jpg', width: 100, height: 100}",
            "https://cdn.example.com/ok.jpg",
        ),
        (  # sizes missing or unreadable: nothing to judge by, so the image is kept
            "images:\n  - {url: 'https://cdn.example.com/a.jpg', width: wide, height: null}",
            "https://cdn.example.com/a.jpg",
        ),
        (
            "images:\n  - {url: 'https://cdn.example.com/s.jpg', width: '64', height: '64'}\n"
            "  - {url: 'https://cdn.example.com/big.jpg', width: '800'}",
            "https://cdn.example.com/big.jpg",
        ),
        ("images:\n  - 42\n  - null\n  - [x]\n  - {url: 7}\n  - {title: no url}", None),
        ("images:\n  - ' https://cdn.example.com/bare.jpg '", "https://cdn.example.com/bare.jpg"),
        ("images: {url: 'https://cdn.example.com/one.jpg'}", "https://cdn.example.com/one.jpg"),
        ("images:\n  - {url: 'javascript:alert(1)'}", None),
    ],
)
def test_image_url(lines: str, image_url: str | None) -> None:
    assert article(lines).image_url == image_url


# --- heat, published, published_at ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "heat"),
    [
        ("", None),
        ("heat: null", None),
        ("heat: 87", 87),
        ("heat: -1", -1),
        ("heat: 0", 0),
        ("heat: 284", 284),
        ('heat: "142"', 142),
        ('heat: " -1 "', -1),
        ("heat: 87.9", 87),
        ('heat: "87.5"', 87),
        ('heat: "hot"', None),
        ("heat: hot", None),
        ("heat: true", None),
        ("heat: [1]", None),
        ("heat: .nan", None),
        ("heat: .inf", None),
        ('heat: "1e400"', None),
        ("heat: 99999999999", None),  # beyond the 32-bit column
        (f'heat: "{"9" * 5000}"', None),
    ],
)
def test_heat(line: str, heat: int | None) -> None:
    assert article(line).heat == heat


@pytest.mark.parametrize(
    ("line", "published"),
    [
        ("", None),
        ("published: null", None),
        ("published: true", True),
        ("published: false", False),
        ('published: "true"', True),
        ('published: " False "', False),
        ('published: "maybe"', None),
        ("published: 1", None),
        ("published: [true]", None),
    ],
)
def test_published(line: str, published: bool | None) -> None:
    assert article(line).published is published


AUG_21 = datetime(2021, 8, 21, 2, 14, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "published_at"),
    [
        ("", None),
        ("publishedDateTime: null", None),
        ("publishedDateTime: 2021-08-21T02:14:00Z", AUG_21),
        ("publishedDateTime: 2021-08-20T19:14:00-07:00", AUG_21),
        ("publishedDateTime: 2021-08-21 02:14:00", AUG_21),  # naive: taken as UTC
        ("publishedDateTime: 2021-08-21T02:14:00.000000Z", AUG_21),
        ("publishedDateTime: 2021-08-20 19:14:00 -07:00", AUG_21),
        ('publishedDateTime: "2021-08-21T02:14:00Z"', AUG_21),
        ('publishedDateTime: "2021-08-21T04:14:00+02:00"', AUG_21),
        ('publishedDateTime: "2021-08-21T02:14:00"', AUG_21),
        ("publishedDateTime: 2021-08-21", datetime(2021, 8, 21, tzinfo=UTC)),
        ('publishedDateTime: "2021-08-21"', datetime(2021, 8, 21, tzinfo=UTC)),
        ("publishedDateTime: 2021-02-30T00:00:00Z", None),  # timestamp-shaped, impossible
        ('publishedDateTime: "last Tuesday"', None),
        ("publishedDateTime: !!timestamp soon", None),
        ('publishedDateTime: "Sat, 21 Aug 2021 02:14:00 GMT"', None),
        ("publishedDateTime: 1629512040", None),
        ("publishedDateTime: [2021-08-21]", None),
        ('publishedDateTime: "0001-01-01T00:00:00+05:00"', None),  # before year 1 in UTC
    ],
)
def test_published_at(line: str, published_at: datetime | None) -> None:
    value = article(line).published_at
    assert value == published_at
    if value is not None:
        assert value.tzinfo is UTC


# --- topics --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "topics"),
    [
        ("", ()),
        ("topics: null", ()),
        ("topics: []", ()),
        ("topics: AI", ("AI",)),
        ("topics: '  '", ()),
        ("topics:\n  - AI\n  - Computer Vision", ("AI", "Computer Vision")),
        (
            "topics:\n  - ' Computer Vision '\n  - AI\n  - computer  vision\n  - ai\n"
            "  - COMPUTER VISION",
            ("Computer Vision", "AI"),
        ),
        ("topics:\n  - ''\n  - 42\n  - null\n  - [AI]\n  - {a: b}\n  - Meta AI", ("Meta AI",)),
        ("topics:\n  - " + "x" * 201 + "\n  - AI", ("AI",)),
        ("topics: {AI: true}", ()),
        ("topics:\n" + "".join(f"  - topic {n}\n" for n in range(80)), None),
    ],
)
def test_topics(lines: str, topics: tuple[str, ...] | None) -> None:
    parsed = article(lines).topics
    if topics is None:
        assert parsed == tuple(f"topic {n}" for n in range(fields.MAX_TOPICS))
    else:
        assert parsed == topics


def test_other_keys_are_ignored() -> None:
    noise = """
category: news
ampWebUrl: "https://amp.example.com/x"
type: article
quality: 161
featuredContent: "<iframe src=\\"https://www.youtube.com/embed/x\\"></iframe>"
related:
  - title: "Another story"
    webUrl: "https://example.org/another"
    images:
      - url: "https://example.org/another.jpg"
        width: 1200
        height: 630
secured: "bm90IGEgc2VjcmV0;aXY="
42: numeric key
"""
    assert article(noise) == article()
