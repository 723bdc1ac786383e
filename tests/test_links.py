"""Where a post leads and whose name it carries (issue 12, items 6, 7, 8): the posted link
without tracking parameters, the source label of the linked site, videos as playable previews.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.formatting import (
    TEXT_LIMIT,
    WATCH_BUTTON,
    PostForm,
    clean_link,
    is_video_link,
    render_post,
    source_label,
    visible_length,
)
from jobs.ingest.urls import normalise_url
from storage.records import Article

_NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def _article(link: str, **changes: object) -> Article:
    fields: dict[str, object] = {
        "id": 7,
        "url": normalise_url(link) or link,
        "link": link,
        "title": "Portals get a new identity setup",
        "excerpt": "A walkthrough of the new sign-in settings.",
        "source_name": "Example Corp",
        "source_domain": "example.com",
        "image_url": "https://img.example.net/thumb.jpg",
        "heat": 120,
        "published": True,
        "published_at": _NOW,
        "topics": ("Portals",),
        "first_seen_at": _NOW,
        "updated_at": _NOW,
    }
    fields.update(changes)
    return Article(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        pytest.param(
            "https://news.example/a/1?module=lead_hero_story&pgtype=homepage",
            "https://news.example/a/1",
            id="module-and-pgtype",
        ),
        pytest.param(
            "https://news.example/a?action=click&module=Top%20Stories&pgtype=Homepage&id=4",
            "https://news.example/a?id=4",
            id="click-tracking-triple-keeps-id",
        ),
        pytest.param(
            "https://shop.example/index.php?module=news&id=5",
            None,
            id="module-alone-selects-the-page",
        ),
        pytest.param(
            "https://News.Example/Path/?utm_source=rss&utm_medium=feed&p=2#top",
            "https://News.Example/Path/?p=2#top",
            id="utm-dropped-rest-as-written",
        ),
        pytest.param(
            "https://news.example/a?fbclid=x&ocid=msn&smid=tw-share",
            "https://news.example/a",
            id="click-ids",
        ),
        pytest.param("https://news.example/a?UTM_Campaign=x", "https://news.example/a", id="case"),
        pytest.param("https://news.example/a?ref=feed", None, id="ref-may-select-a-branch"),
        pytest.param("https://news.example/a", None, id="no-query"),
        pytest.param("  https://news.example/a?b=1  ", "https://news.example/a?b=1", id="strip"),
        pytest.param("http://[bad", None, id="unparsable-kept"),
    ],
)
def test_clean_link(link: str, expected: str | None) -> None:
    assert clean_link(link) == (link if expected is None else expected)


def test_the_identity_keeps_its_rule() -> None:
    # Stored identities must not move (a changed identity re-posts the article): `module` and
    # `pgtype` are dropped from the posted link only.
    link = "https://news.example/a/1?module=lead&pgtype=homepage"
    assert normalise_url(link) == link
    assert clean_link(link) == "https://news.example/a/1"


@pytest.mark.parametrize(
    ("name", "domain", "link", "expected"),
    [
        pytest.param(
            "TMCnet",
            "tmcnet.com",
            "https://www.benzinga.com/pressreleases/24/01/x",
            "benzinga.com",
            id="another-outlets-name",
        ),
        pytest.param(
            "Benzinga", "benzinga.com", "https://www.benzinga.com/x", "Benzinga", id="same-site"
        ),
        pytest.param(
            "Apps Blog", "example.com", "https://apps.example.com/blog/x", "Apps Blog", id="sub"
        ),
        pytest.param(
            "Example", "news.example.com", "https://example.com/x", "Example", id="parent-site"
        ),
        pytest.param("Wired", "WWW.Wired.com", "https://wired.com/x", "Wired", id="case-and-www"),
        pytest.param("Wired", None, "https://other.example/x", "Wired", id="no-domain"),
        pytest.param(None, "wired.com", "https://wired.com/x", "wired.com", id="domain-only"),
        pytest.param(None, None, "https://wired.com/x", "", id="nothing"),
        pytest.param(
            "Microsoft",
            "microsoft.com",
            "https://youtube.com/watch?v=abc",
            "Microsoft",
            id="video-keeps-its-channel",
        ),
        pytest.param("Wired", "wired.com", "not a link", "Wired", id="no-host"),
    ],
)
def test_source_label(name: str | None, domain: str | None, link: str, expected: str) -> None:
    assert source_label(name, domain, link) == expected


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://youtube.com/watch?v=abc", True),
        ("https://www.youtube.com/watch?v=abc", True),
        ("https://m.youtube.com/watch?v=abc", True),
        ("https://youtu.be/abc", True),
        ("https://vimeo.com/12345", True),
        ("https://player.vimeo.com/video/12345", True),
        ("https://www.dailymotion.com/video/x8", True),
        ("https://notyoutube.com/watch?v=abc", False),
        ("https://news.example/youtube.com", False),
        ("not a link", False),
    ],
)
def test_is_video_link(link: str, expected: bool) -> None:
    assert is_video_link(link) is expected


def test_a_video_is_a_text_post_with_its_playable_preview() -> None:
    article = _article(
        "https://youtube.com/watch?v=abc&utm_source=feed",
        image_url="https://i.ytimg.example/vi/abc/maxresdefault.jpg",
    )
    for post in (render_post(article), render_post(article, form=PostForm.TEXT)):
        assert post.photo_url is None  # never the thumbnail as a photo
        assert post.preview_url == "https://youtube.com/watch?v=abc"
        assert post.link == "https://youtube.com/watch?v=abc"
        assert post.button_text == WATCH_BUTTON == "▶️ Watch"
        assert post.html.startswith('▶️ <b><a href="https://youtube.com/watch?v=abc">Portals')
        assert post.html.endswith("Example Corp · 🔥 120\n#Portals")


def test_an_article_with_an_image_stays_a_photo_and_reads() -> None:
    post = render_post(_article("https://example.com/news/identity"))
    assert post.photo_url == "https://img.example.net/thumb.jpg"
    assert post.preview_url is None
    assert post.button_text == "Read"
    assert not post.html.startswith("▶️")
    text = render_post(_article("https://example.com/news/identity"), form=PostForm.TEXT)
    assert text.preview_url == "https://example.com/news/identity"


def test_a_long_video_title_still_fits_with_its_mark() -> None:
    article = _article(
        "https://youtu.be/abc", title="Portals " * 2000, excerpt="", source_name=None, topics=()
    )
    post = render_post(article)
    assert post.html.startswith("▶️ <b>")
    assert visible_length(post.html) <= TEXT_LIMIT


def test_the_post_links_the_cleaned_url_and_labels_the_linked_site() -> None:
    article = _article(
        "https://www.benzinga.com/pressreleases/24/01/n1/ai?utm_source=x&pgtype=hp&module=top",
        source_name="TMCnet",
        source_domain="tmcnet.com",
        image_url=None,
    )
    post = render_post(article)
    assert post.link == "https://www.benzinga.com/pressreleases/24/01/n1/ai"
    assert post.preview_url == post.link
    assert 'href="https://www.benzinga.com/pressreleases/24/01/n1/ai"' in post.html
    assert "benzinga.com · 🔥 120" in post.html
    assert "TMCnet" not in post.html
