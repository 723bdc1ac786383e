"""Article files' URLs: normalisation (tracking parameters, limits) and which URL is an
article's identity."""

from __future__ import annotations

import pytest

from jobs.ingest.urls import MAX_URL_CHARS, TRACKING_PARAMETERS, normalise_url
from tests.article_parsing import article, failure

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
