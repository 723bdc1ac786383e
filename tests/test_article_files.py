"""Article files to ArticleData: URL identity, every field rule, malformed input, the corpus."""

from __future__ import annotations

import os
import random
import re
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from jobs.ingest import fields, front_matter
from jobs.ingest.fields import MAX_EXCERPT_CHARS, UnusableArticleError
from jobs.ingest.files import parse_article, read_article_file
from jobs.ingest.front_matter import MAX_FILE_BYTES
from jobs.ingest.urls import MAX_URL_CHARS, TRACKING_PARAMETERS, normalise_url
from storage.records import ArticleData
from tests.fifo_rescue import fifo_rescue

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "articles"
BASE = 'title: "Robots learn to fold laundry"\nwebUrl: "https://example.com/news/laundry"\n'


def article(body: str = "", *, base: str = BASE) -> ArticleData:
    return parse_article(f"---\n{base}{body}\n---\n".encode())


def failure(data: bytes) -> str:
    with pytest.raises(UnusableArticleError) as caught:
        parse_article(data)
    return caught.value.reason


# --- normalise_url -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://example.com/news/a", "https://example.com/news/a"),
        ("  https://example.com/a \n", "https://example.com/a"),
        ("HTTPS://Example.COM/News/A", "https://example.com/News/A"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
        ("https://example.com/a#comments", "https://example.com/a"),
        ("https://example.com/a/", "https://example.com/a"),
        ("https://example.com/a//", "https://example.com/a"),
        ("https://example.com/", "https://example.com/"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com?x=1", "https://example.com/?x=1"),
        ("https://example.com/a/?x=1#top", "https://example.com/a?x=1"),
        ("https://example.com/a?utm_source=x&id=7&utm_medium=y", "https://example.com/a?id=7"),
        ("https://example.com/a?utm_source=x&utm_campaign=z", "https://example.com/a"),
        ("https://example.com/a?UTM_Source=x&FBCLID=y", "https://example.com/a"),
        ("https://example.com/a?utm%5Fsource=x", "https://example.com/a"),
        ("https://example.com/a?b=2&a=1&c", "https://example.com/a?b=2&a=1&c"),
        ("https://example.com/a?q=a%20b+c&Sort=Asc", "https://example.com/a?q=a%20b+c&Sort=Asc"),
        ("https://example.com/a?&&id=1&", "https://example.com/a?id=1"),
        ("https://example.com/a?cid=42", "https://example.com/a?cid=42"),
        ("https://user:pw@Example.com/a", "https://user:pw@example.com/a"),
        ("http://[2001:DB8::1]:8080/a/", "http://[2001:db8::1]:8080/a"),
        ("https://Пример.рф/Новости/", "https://пример.рф/Новости"),
        ("https://example.com/A%2Fb/", "https://example.com/A%2Fb"),
    ],
)
def test_normalise_url(raw: str, expected: str) -> None:
    assert normalise_url(raw) == expected


@pytest.mark.parametrize(
    "name", [*sorted(TRACKING_PARAMETERS), "utm_source", "utm_medium", "utm_content", "utm_id"]
)
def test_normalise_url_drops_each_tracking_parameter(name: str) -> None:
    assert normalise_url(f"https://example.com/a?p=1&{name}=x") == "https://example.com/a?p=1"


def test_tracking_set_covers_the_usual_click_ids() -> None:
    usual = {"fbclid", "gclid", "dclid", "msclkid", "yclid", "mc_cid", "mc_eid", "igshid"}
    assert usual | {"_ga", "_gl"} <= TRACKING_PARAMETERS


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "/news/a",
        "news/a",
        "example.com/a",
        "//example.com/a",
        "javascript:alert(1)",
        "JAVASCRIPT://example.com/%0aalert(1)",
        "data:text/html,hi",
        "mailto:desk@example.com",
        "ftp://example.com/a",
        "file:///etc/passwd",
        "https://",
        "https:///path",
        "https:example.com/a",
        "http://example.com:99999/",
        "http://example.com:abc/",
        "http://[::1/",
        "https://exa mple.com/",
        "https://example.com/a b",
        "https://example.com/a\tb",
        "https://example.com/\x00",
        "https://example.com\\evil/",
        "https://example.com/" + "a" * MAX_URL_CHARS,
    ],
)
def test_normalise_url_rejects(raw: str) -> None:
    assert normalise_url(raw) is None


def test_normalise_url_length_limit_is_inclusive() -> None:
    prefix = "https://example.com/"
    raw = prefix + "a" * (MAX_URL_CHARS - len(prefix))
    assert normalise_url(raw) == raw
    assert normalise_url(raw + "a") is None


# --- identity ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "url", "link"),
    [
        (
            'webUrl: "https://Example.com/a/?utm_source=x"\noriginalUrl: "https://other.org/b"',
            "https://example.com/a",
            "https://Example.com/a/?utm_source=x",
        ),
        (
            'originalUrl: " https://www.youtube.com/watch?v=abc "',  # a video: no webUrl
            "https://www.youtube.com/watch?v=abc",
            "https://www.youtube.com/watch?v=abc",
        ),
        (
            'webUrl: "/relative/only"\noriginalUrl: "https://example.org/story"',
            "https://example.org/story",
            "https://example.org/story",
        ),
        (
            "webUrl: null\noriginalUrl: https://example.org/unquoted/",  # archive era
            "https://example.org/unquoted",
            "https://example.org/unquoted/",
        ),
        (
            'webUrl: ["https://example.com/in-a-list"]\noriginalUrl: "https://example.org/x"',
            "https://example.org/x",
            "https://example.org/x",
        ),
    ],
)
def test_identity(lines: str, url: str, link: str) -> None:
    parsed = article(lines, base='title: "T"\n')
    assert (parsed.url, parsed.link) == (url, link)


@pytest.mark.parametrize(
    "lines",
    [
        "",
        'webUrl: ""',
        'webUrl: "javascript:alert(1)"\noriginalUrl: "news/relative"',
        "webUrl: 42",
        "webUrl: {url: 'https://example.com/a'}",
        'webUrl: "ftp://example.com/a"',
    ],
)
def test_no_usable_url(lines: str) -> None:
    data = f'---\ntitle: "T"\n{lines}\n---\n'.encode()
    assert failure(data) == "no usable URL (webUrl/originalUrl)"


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


# --- front matter framing ------------------------------------------------------------------------


def test_bom_crlf_and_trailing_content() -> None:
    text = f"\ufeff---\r\n{BASE}heat: 120\r\n---  \r\n\r\nBody text --- ignored.\r\n---\r\n"
    parsed = parse_article(text.replace("\n", "\r\n").replace("\r\r", "\r").encode())
    assert (parsed.title, parsed.url, parsed.heat) == (
        "Robots learn to fold laundry",
        "https://example.com/news/laundry",
        120,
    )


def test_blank_lines_before_opening_are_tolerated() -> None:
    assert parse_article(f"\n  \n---\n{BASE}---".encode()).title == "Robots learn to fold laundry"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "no front matter"),
        (b"\xef\xbb\xbf", "no front matter"),
        (b"title: x\n---\n", "no front matter"),
        (b"--- title: x\n---\n", "no front matter"),
        (b"# heading\n---\ntitle: x\n---\n", "no front matter"),
        (b"---\n", "unclosed front matter (no closing ---)"),
        (
            b"---\ntitle: x\nwebUrl: https://example.com/a\n",
            "unclosed front matter (no closing ---)",
        ),
        (b"---\ntitle: x\n----\n", "unclosed front matter (no closing ---)"),
        (b"---\n---\n", "empty front matter"),
        (b"---\n# only a comment\n---\n", "empty front matter"),
        (b"---\n- a\n- b\n---\n", "front matter is not a mapping"),
        (b"---\njust a string\n---\n", "front matter is not a mapping"),
        (b"---\ntitle: caf\xe9\n---\n", "not UTF-8 text"),
        (b"\xff\xfe-\x00-\x00-\x00", "not UTF-8 text"),  # UTF-16
        (bytes(range(256)) * 4, "not UTF-8 text"),
    ],
)
def test_framing_errors(data: bytes, reason: str) -> None:
    assert failure(data) == reason


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ('title: "never closed\nwebUrl: https://example.com/a\n', 3),
        ("title: x\n  bad: indentation\n", 3),
        ("title: [unclosed\n", None),  # libyaml and pure Python place the end differently
        ("title: x\nwebUrl:\t\x07\n", 3),
        ("title: é\nwebUrl:\t\x07\n", 3),
        ("title: *undefined_alias\n", 2),
        ("title: !!python/object/apply:os.system ['true']\n", 2),
        ("? [a, b]\n: unhashable key\n", None),
        ("heat: !!float [1]\n", 2),
        ("heat: !!int abc\n", None),
        ("published: !!bool maybe\n", None),
        ("<<: 5\n", 2),
    ],
)
def test_broken_yaml(body: str, line: int | None) -> None:
    reason = failure(f"---\n{body}---\n".encode())
    prefix = f"broken YAML at line {line}: " if line else "broken YAML"
    assert reason.startswith(prefix), reason
    assert len(reason) <= 200


def test_too_large() -> None:
    assert failure(b"-" * (MAX_FILE_BYTES + 1)) == "file too large (16.0 MB > 16 MB)"


# --- hostile YAML --------------------------------------------------------------------------------


def test_alias_bomb_is_cheap_and_harmless() -> None:
    levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    levels += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 12)]
    bomb = "\n".join(levels) + "\ntopics: *a11\nexcerpt: *a11\nimages: *a11\nheat: *a11\n"
    parsed = article(bomb)
    assert (parsed.topics, parsed.excerpt, parsed.image_url, parsed.heat) == ((), "", None, None)
    assert failure(f"---\n{bomb}title: *a11\nwebUrl: x\n---\n".encode()) == "no title"


def test_recursive_alias() -> None:
    assert article("topics: &t [AI, *t]\nimages: &i [*i]").topics == ("AI",)


@pytest.mark.parametrize("depth", [100, 10_000, 200_000])
def test_deep_nesting(depth: int) -> None:
    flow = "related: " + "[" * depth + "]" * depth + "\n"
    block = "related:\n" + "".join(" " * n + "- \n" for n in range(1, min(depth, 5000)))
    for body in (flow, block):
        try:
            article(body)
        except UnusableArticleError as error:
            assert error.reason.startswith("broken YAML")


def test_overlong_integer_is_broken_yaml() -> None:
    assert failure(f"---\n{BASE}heat: {'9' * 5000}\n---\n".encode()).startswith("broken YAML")


def test_random_mutations_raise_only_article_file_error() -> None:
    original = (FIXTURES / "valid_modern.md").read_bytes()
    rng = random.Random(20260101)
    outcomes: Counter[str] = Counter()
    for _ in range(400):
        data = bytearray(original)
        for _ in range(rng.randint(1, 8)):
            position = rng.randrange(len(data))
            action = rng.random()
            if action < 0.4:
                data[position] = rng.randrange(256)
            elif action < 0.7:
                data[position:position] = rng.choice([b"---\n", b": ", b"- ", b"&x ", b"*x", b'"'])
            else:
                del data[position : position + rng.randint(1, 40)]
        try:
            parse_article(bytes(data))
            outcomes["parsed"] += 1
        except UnusableArticleError:
            outcomes["rejected"] += 1
    for _ in range(100):
        try:
            parse_article(rng.randbytes(rng.randint(0, 300)))
        except UnusableArticleError:
            outcomes["junk rejected"] += 1
    assert outcomes["parsed"] and outcomes["rejected"], outcomes


# --- fixtures and reading files ------------------------------------------------------------------

SKIPPED_FIXTURES = {
    "binary_junk.md": "not UTF-8 text",
    "not_utf8.md": "not UTF-8 text",
    "empty.md": "no front matter",
    "no_front_matter.md": "no front matter",
    "unclosed_front_matter.md": "unclosed front matter (no closing ---)",
    "broken_yaml.md": "broken YAML at line 3: ",
    "list_front_matter.md": "front matter is not a mapping",
    "no_title.md": "no title",
    "no_url.md": "no usable URL (webUrl/originalUrl)",
}
INGESTED_FIXTURES = {
    "valid_modern.md": "https://example.com/news/small-speech-model",
    "valid_minimal.md": "https://example.org/local/ai-council-summaries",
    "valid_video.md": "https://www.youtube.com/watch?v=Xq7mZx2Lp0A",
    "bom_crlf.md": "https://example.org/local/bom-crlf",
}


def test_fixture_tables_cover_the_folder() -> None:
    on_disk = {path.name for path in FIXTURES.iterdir()} - {"README.md"}
    assert on_disk == SKIPPED_FIXTURES.keys() | INGESTED_FIXTURES.keys()
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in readme for name in on_disk)


@pytest.mark.parametrize(("name", "reason"), sorted(SKIPPED_FIXTURES.items()))
def test_skipped_fixture(name: str, reason: str) -> None:
    with pytest.raises(UnusableArticleError) as caught:
        read_article_file(FIXTURES / name)
    assert caught.value.reason.startswith(reason)


@pytest.mark.parametrize(("name", "url"), sorted(INGESTED_FIXTURES.items()))
def test_ingested_fixture(name: str, url: str) -> None:
    assert read_article_file(FIXTURES / name).url == url


def test_modern_fixture_in_full() -> None:
    assert read_article_file(FIXTURES / "valid_modern.md") == ArticleData(
        url="https://example.com/news/small-speech-model",
        link="https://example.com/news/small-speech-model?utm_source=feed",
        title="Lab releases a small speech model that runs on a phone",
        excerpt="The 300M-parameter model transcribes 40 languages offline &amp; fits in "
        "200&nbsp;MB, the team says&hellip;",
        source_name="Example News",
        source_domain="example.com",
        image_url="https://picsum.photos/seed/speech/1200/630",
        images=("https://picsum.photos/seed/speech/1200/630",),
        heat=131,
        published=True,
        published_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        topics=("AI", "Natural Language Processing"),
    )


def test_read_errors(tmp_path: Path) -> None:
    with pytest.raises(UnusableArticleError, match=r"^cannot read: no such file or directory$"):
        read_article_file(tmp_path / "missing.md")
    with pytest.raises(UnusableArticleError, match=r"^cannot read: is a directory$"):
        read_article_file(tmp_path)


def test_read_skips_a_fifo_without_waiting_for_a_writer(tmp_path: Path) -> None:
    # The generator's folder is shared: a path can be a FIFO by the time it is opened.
    fifo = tmp_path / "turned.md"
    os.mkfifo(fifo)
    with fifo_rescue(fifo) as rescue, pytest.raises(UnusableArticleError) as caught:
        read_article_file(fifo)
    assert not rescue.needed, "open() waited for a writer"
    assert caught.value.reason == "not a regular file (a FIFO)"


def test_read_skips_a_device() -> None:
    with pytest.raises(UnusableArticleError, match=r"^not a regular file \(a character device\)$"):
        read_article_file("/dev/null")


@pytest.mark.parametrize(
    ("written", "limit", "size", "expected"),
    [
        (0, 100, 0, 0),
        (100, 1000, 100, 100),  # as fstat said
        (100_000, 200_000, 10, 100_000),  # grew after fstat: read on to the end
        (100_000, 5_000, 100_000, 5_000),  # stops at the limit
    ],
)
def test_read_at_most_reads_to_the_end_or_the_limit(
    written: int, limit: int, size: int, expected: int
) -> None:
    data = os.urandom(written)
    with tempfile.TemporaryFile() as file:
        file.write(data)
        file.flush()
        os.lseek(file.fileno(), 0, os.SEEK_SET)
        assert front_matter._read_at_most(file.fileno(), limit, size) == data[:expected]


def test_read_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulated: chmod 000 does not stop root, and CI often runs as root.
    def locked(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    with monkeypatch.context() as patched:  # os.open is everyone's: patched for one call only
        patched.setattr(os, "open", locked)
        with pytest.raises(UnusableArticleError, match=r"^cannot read: permission denied$"):
            read_article_file(tmp_path / "locked.md")


def test_read_refuses_large_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(front_matter, "MAX_FILE_BYTES", 3 * 1024 * 1024)
    path = tmp_path / "huge.md"
    with path.open("wb") as file:
        file.truncate(5 * 1024 * 1024 + 1)
    with pytest.raises(UnusableArticleError, match=r"^file too large \(5\.0 MB > 3 MB\)$"):
        read_article_file(path)


# --- the bundled sample ---------------------------------------------------------------------------

SAMPLE = Path(__file__).resolve().parents[1] / "sample" / "articles"


def test_sample_articles_parse_and_show_the_selection_cases() -> None:
    articles = {path.name: read_article_file(path) for path in sorted(SAMPLE.glob("*.md"))}
    values = list(articles.values())
    hot = [a for a in values if a.published and a.heat is not None and a.heat >= 100]
    assert len({a.url for a in hot}) >= 4
    assert any(a.image_url is None for a in hot)
    assert any("&#8217;" in a.excerpt and "🚀" in a.title for a in hot)
    assert any(any("\u4e00" <= char <= "\u9fff" for char in a.title) for a in hot)
    assert any(a.heat == 60 for a in values)
    assert any(a.published is False for a in values)
    assert any(a.heat is None and a.published is None for a in values)
    duplicates = [a for a in values if a.url != a.link and "utm_" in a.link]
    assert len(duplicates) == 1
    (later,) = duplicates
    (earlier,) = [a for a in values if a.url == later.url and a is not later]
    assert later.heat is not None and earlier.heat is not None and later.heat > earlier.heat
    assert all(a.published_at is not None and a.published_at.year == 2026 for a in values)


# --- the corpus ----------------------------------------------------------------------------------


def corpus_root() -> Path:
    configured = os.environ.get("FEEDBOT_CORPUS")
    root = (
        Path(configured)
        if configured
        else Path(__file__).resolve().parents[2] / "shared" / "corpus"
    )
    if not root.is_dir():
        pytest.skip(f"article corpus not found at {root} (set FEEDBOT_CORPUS to its folder)")
    return root


@pytest.fixture(scope="module")
def corpus() -> dict[Path, ArticleData | str]:
    """Every corpus file, parsed, or the reason it was rejected."""
    root = corpus_root()
    results: dict[Path, ArticleData | str] = {}
    for path in sorted(root.rglob("*")):
        if path.suffix in {".md", ".txt"} and path.name != "README.md" and path.is_file():
            try:
                results[path.relative_to(root)] = read_article_file(path)
            except UnusableArticleError as error:
                results[path.relative_to(root)] = error.reason
    if not results:
        pytest.skip(f"no *.md or *.txt article files under {root}")
    return results


def parsed_articles(corpus: dict[Path, ArticleData | str]) -> list[ArticleData]:
    return [result for result in corpus.values() if isinstance(result, ArticleData)]


def test_corpus_parses(corpus: dict[Path, ArticleData | str]) -> None:
    failures = {path: reason for path, reason in corpus.items() if isinstance(reason, str)}
    # Anything but UnusableArticleError has already failed the fixture.
    assert len(failures) <= 0.05 * len(corpus), failures


SEED = Path("seed/000_ebcaaf24fa9088d9.txt")


def test_corpus_seed_file(corpus: dict[Path, ArticleData | str]) -> None:
    if SEED not in corpus:
        pytest.skip(f"not the project's reference corpus: no {SEED}")
    seed = corpus[SEED]
    assert isinstance(seed, ArticleData), seed
    # The site's own navigation parameters are not tracking parameters and stay in the identity.
    assert seed.url == (
        "https://www.scmp.com/business/companies/article/3145739/"
        "sensetime-parlays-academic-bona-fides-worlds-largest-platform"
        "?module=lead_hero_story&pgtype=homepage"
    )
    assert seed.url == seed.link
    assert seed.topics == (
        "Natural Language Processing",
        "AI",
        "Computer Vision",
        "AI in Healthcare",
    )
    assert (seed.heat, seed.published, seed.source_domain) == (87, True, "scmp.com")
    assert seed.published_at == datetime(2021, 8, 21, 2, 14, tzinfo=UTC)
    assert seed.image_url is not None and seed.image_url.startswith("https://cdn.i-scmp.com/")
    assert seed.excerpt.startswith("READ FULL ARTICLE")


def test_corpus_facts(corpus: dict[Path, ArticleData | str]) -> None:
    """Facts the corpus README states about the reference corpus, seen through the parser."""
    if SEED not in corpus:
        pytest.skip(f"not the project's reference corpus: no {SEED}")
    root = corpus_root()
    articles = parsed_articles(corpus)
    assert all(a.published_at is not None and a.published_at.tzinfo is UTC for a in articles)
    assert all(1 <= len(a.topics) <= 6 for a in articles)
    # Logos live under /organizations/ and are 50×50: never picked as a preview.
    assert not any(a.image_url and "/organizations/" in a.image_url for a in articles)
    # heat −1 marks unpublished items.
    assert all(a.published is False for a in articles if a.heat == -1)
    # Videos have no webUrl: their identity is the YouTube originalUrl.
    videos = sum(
        1
        for path in corpus
        if re.search(r"^type: video$", (root / path).read_text(encoding="utf-8"), re.MULTILINE)
    )
    on_youtube = [a for a in articles if a.url.startswith("https://youtube.com/watch?v=")]
    assert len(on_youtube) == videos
    # The same webUrl appears in more than one file: the identity, not the path, deduplicates.
    identities = Counter(a.url for a in articles)
    assert any(count > 1 for count in identities.values())


# --- only the fields read are constructed --------------------------------------------------------


@pytest.mark.parametrize(
    "junk",
    [
        "related: !!bool maybe\n",
        "secured: !!python/object/apply:os.system ['true']\n",
        "quality: !!int abc\n",
        "related: [" * 50 + "]" * 50 + "\n",
    ],
)
def test_junk_in_a_field_never_read_does_not_drop_the_article(junk: str) -> None:
    # Such values are parsed (the YAML must still be well formed) but never constructed.
    assert article(junk) == article()


def test_duplicate_field_last_one_wins_as_in_yaml_load() -> None:
    assert article('title: "Second"\nheat: 1\nheat: 2\n').title == "Second"
    assert article("heat: 1\nheat: 2\n").heat == 2


@pytest.mark.parametrize(
    "body",
    [
        "<<: {heat: 7}\n",  # a merge key: constructed whole, so the merge still applies
        "42: numeric key\nheat: 7\n",
        "!!str heat: 7\n",
    ],
)
def test_unusual_top_level_keys_fall_back_to_full_construction(body: str) -> None:
    assert article(body).heat == 7


def test_closing_line_may_carry_trailing_blanks_and_opening_must_be_bare() -> None:
    assert parse_article(f"---\t\n{BASE}---\t \n".encode()).heat is None
    assert failure(f"  ---\n{BASE}---\n".encode()) == "no front matter"
    assert failure(f"---\n{BASE}  ---\n".encode()) == "unclosed front matter (no closing ---)"


def test_remembered_scalar_tags_match_pyyaml_every_time() -> None:
    # The loader remembers the tag of short plain scalars across files: the second file must
    # load exactly as PyYAML alone would, including values that are not strings.
    text = "topics: [yes, 120, 1.5, null, ~, 2021-02-03, x, 0x1F, .inf, 1_000, '120']\nheat: 0o17\n"
    expected = yaml.load(text, Loader=yaml.SafeLoader)
    for _ in range(2):
        assert front_matter._construct_fields(text) == expected


def test_every_usable_preview_image_is_kept_in_order() -> None:
    parsed = article(
        "images:\n  - {url: 'https://cdn.example.com/default-social.png'}\n"
        "  - {url: 'https://cdn.example.com/tiny.png', width: 16, height: 16}\n"
        "  - {url: 'https://cdn.example.com/own.jpg'}\n"
        "  - {url: 'https://cdn.example.com/default-social.png'}"
    )
    assert parsed.images == (
        "https://cdn.example.com/default-social.png",
        "https://cdn.example.com/own.jpg",
    )
    assert parsed.image_url == parsed.images[0]
