"""How a post looks: hashtags, the layout and its escaping, photo or text, and
no bidi control in a post. Checked by tests/rendered_posts.py; the limits:
tests/test_post_limits.py.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import pytest

from bot.formatting import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    Post,
    PostForm,
    hashtag,
    render_post,
    strip_bidi_controls,
)
from storage.records import Article
from tests.rendered_posts import (
    BASE_ARTICLE,
    an_article,
    checked_text,
)

# the text form, as the sender renders it for the text fallback
TEXT_FORM = functools.partial(render_post, form=PostForm.TEXT)

# --- hashtags ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("AI", "#AI"),
        ("Computer Vision", "#ComputerVision"),
        ("AI in Healthcare", "#AIInHealthcare"),
        ("AWS AI", "#AWSAI"),
        ("TensorFlow", "#TensorFlow"),
        ("natural language processing", "#NaturalLanguageProcessing"),
        ("Self-driving cars", "#SelfDrivingCars"),
        ("Women's Health", "#WomensHealth"),
        ("  AI   Ethics ", "#AIEthics"),
        ("R&amp;D", "#RD"),
        ("5G", "#5G"),
        ("Visión artificial", "#VisiónArtificial"),
        ("人工智能", "#人工智能"),
        ("हिन्दी भाषा", "#हिन्दीभाषा"),
        ("2024", None),
        ("!!!", None),
        ("", None),
        ("x" * 300, None),
    ],
)
def test_hashtag(topic: str, expected: str | None) -> None:
    assert hashtag(topic) == expected


# --- layout --------------------------------------------------------------------------------


def test_full_post_layout() -> None:
    post = render_post(BASE_ARTICLE)
    assert post == Post(
        html=(
            '<b><a href="https://news.example/robots-learn?utm=x&amp;ref=feed">'
            "Robots learn to fold laundry</a></b>\n\n"
            "A lab taught a robot arm to fold shirts by watching people do it.\n\n"
            "Example News · 🔥 142\n"
            "#AIInRobotics #AI"
        ),
        photo_url="https://cdn.news.example/robot.jpg",
        link="https://news.example/robots-learn?utm=x&ref=feed",
        caption=True,
    )
    checked_text(post, CAPTION_LIMIT)


def test_bare_post_is_the_linked_title_alone() -> None:
    article = an_article(
        excerpt="", source_name=None, source_domain=None, heat=None, topics=(), image_url=None
    )
    post = render_post(article)
    assert post.html == (
        '<b><a href="https://news.example/robots-learn?utm=x&amp;ref=feed">'
        "Robots learn to fold laundry</a></b>"
    )
    checked_text(post, TEXT_LIMIT)


@pytest.mark.parametrize(
    ("changes", "in_html", "visible"),
    [
        pytest.param(
            {"title": 'Q&A: is <GPT-5> "real"?'},
            '">Q&amp;A: is &lt;GPT-5&gt; "real"?</a>',
            'Q&A: is <GPT-5> "real"?',
            id="title",
        ),
        pytest.param(
            {"title": "Apple&#8217;s M4 &amp; AI"},
            ">Apple’s M4 &amp; AI</a>",
            "Apple’s M4 & AI",
            id="title-entities-decoded-once",
        ),
        pytest.param(
            {"excerpt": "if a < b && c > d then &amp;amp; wins"},
            "if a &lt; b &amp;&amp; c &gt; d then &amp;amp; wins",
            "if a < b && c > d then &amp; wins",
            id="excerpt",
        ),
        pytest.param(
            {"link": 'https://e.example/q?a="x"&b=<y>'},
            '<a href="https://e.example/q?a=&quot;x&quot;&amp;b=&lt;y&gt;">',
            None,
            id="link",
        ),
        pytest.param(
            {"source_name": "Research & <Development>"},
            "Research &amp; &lt;Development&gt; · 🔥 142",
            "Research & <Development> · 🔥 142",
            id="source",
        ),
    ],
)
def test_escaping(changes: dict[str, str], in_html: str, visible: str | None) -> None:
    for post in (
        render_post(an_article(**changes)),
        render_post(an_article(**changes), form=PostForm.TEXT),
    ):
        assert in_html in post.html
        text = checked_text(post, CAPTION_LIMIT)
        if visible is not None:
            assert visible in text


def test_link_and_button_use_article_link() -> None:
    post = render_post(an_article(link="  https://e.example/a?b=1&c=2 \n"))
    assert post.link == "https://e.example/a?b=1&c=2"
    assert 'href="https://e.example/a?b=1&amp;c=2"' in post.html
    assert post.button_text == "Read"


@pytest.mark.parametrize(
    ("source_name", "source_domain", "heat", "expected"),
    [
        ("Wired", "wired.com", 142, "Wired · 🔥 142"),
        ("Wired", None, 0, "Wired · 🔥 0"),
        ("Wired", None, None, "Wired"),
        ("Wired", None, -1, "Wired"),
        (None, "wired.com", 71, "wired.com · 🔥 71"),
        (None, None, 7, "🔥 7"),
        (None, None, -1, None),
        (None, None, None, None),
        ("  ", None, None, None),
    ],
)
def test_source_and_heat_line(
    source_name: str | None, source_domain: str | None, heat: int | None, expected: str | None
) -> None:
    article = an_article(
        source_name=source_name,
        source_domain=source_domain,
        heat=heat,
        link="https://www.wired.com/story/robots-fold-laundry/",
    )
    lines = checked_text(render_post(article), CAPTION_LIMIT).split("\n")
    assert lines[-1] == "#AIInRobotics #AI"
    if expected is None:
        assert lines[-2] == ""  # straight from the excerpt's blank line to the hashtags
    else:
        assert lines[-2] == expected


@pytest.mark.parametrize(
    ("topics", "expected"),
    [
        (("AI", "Computer Vision"), "#AI #ComputerVision"),
        (("AI", "ai", "Computer Vision", "computer-vision"), "#AI #ComputerVision"),
        (("Meta AI", "Facebook AI"), "#MetaAI #FacebookAI"),
        (("!!!", "AI"), "#AI"),
        (tuple(f"Topic {n}" for n in range(100)), None),
        (("!!!",), ""),
        ((), ""),
    ],
)
def test_hashtag_line(topics: tuple[str, ...], expected: str | None) -> None:
    text = checked_text(render_post(an_article(topics=topics)), CAPTION_LIMIT)
    last = text.split("\n")[-1]
    if expected is None:  # many topics: as many whole tags as fit, never a cut one
        tags = last.split(" ")
        assert 5 < len(tags) < 100
        assert tags == [f"#Topic{n}" for n in range(len(tags))]
    elif expected:
        assert last == expected
    else:
        assert last == "Example News · 🔥 142"


# --- photo or text -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image_url", "expected"),
    [
        ("https://cdn.example/a.jpg", "https://cdn.example/a.jpg"),
        ("http://cdn.example/a.jpg?w=1200&strip=all", "http://cdn.example/a.jpg?w=1200&strip=all"),
        (" https://cdn.example/a.jpg\n", "https://cdn.example/a.jpg"),
        ("HTTPS://cdn.example/a.jpg", "HTTPS://cdn.example/a.jpg"),
        (None, None),
        ("", None),
        ("/assets/images/logo.jpg", None),
        ("//cdn.example/a.jpg", None),
        ("ftp://cdn.example/a.jpg", None),
        ("data:image/png;base64,iVBORw0KGgo=", None),
        ("javascript:alert(1)", None),
        ("https://", None),
        ("http://[::1", None),
    ],
)
def test_photo_only_for_absolute_http_images(image_url: str | None, expected: str | None) -> None:
    post = render_post(an_article(image_url=image_url))
    assert post.photo_url == expected
    checked_text(post, CAPTION_LIMIT if expected else TEXT_LIMIT)
    fallback = render_post(an_article(image_url=image_url), form=PostForm.TEXT)
    assert fallback.photo_url is None
    assert fallback.html == post.html  # same look whichever way it goes out


# --- bidi controls (issue 10 item 8) ---------------------------------------------------------

# the embeddings, overrides and isolates; the marks (U+200E, U+200F, U+061C) are kept
_BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_SPOOF = "Invoice \u202egpj.exe"  # shows as "Invoice exe.jpg"


def _carries_none(text: str) -> bool:
    return not set(text) & set(_BIDI_CONTROLS)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(_SPOOF, id="override"),
        pytest.param("\u2067שלום\u2069 world", id="isolate"),
        pytest.param("a\u202ab\u202bc\u202cd\u202de\u2066f\u2068g\u2069", id="every-control"),
    ],
)
def test_strip_bidi_controls(text: str) -> None:
    stripped = strip_bidi_controls(text)
    assert _carries_none(stripped)
    assert [ch for ch in text if ch not in _BIDI_CONTROLS] == list(stripped)


def test_strip_bidi_controls_keeps_the_marks() -> None:
    # no extent, and right-to-left text needs them for its punctuation
    text = "\u05e9\u05dc\u05d5\u05dd!\u200f GPT-4\u200e \u0627\u061c"
    assert strip_bidi_controls(text) == text


@pytest.mark.parametrize(
    ("changes", "shown"),
    [
        pytest.param({"title": _SPOOF}, "Invoice gpj.exe", id="title"),
        pytest.param({"title": "Invoice &#x202E;gpj.exe"}, "Invoice gpj.exe", id="title-entity"),
        pytest.param(
            {"excerpt": f"Open the attachment {_SPOOF} now, says the mail."},
            "attachment Invoice gpj.exe now",
            id="excerpt",
        ),
        pytest.param({"source_name": f"\u2067{_SPOOF}"}, "Invoice gpj.exe ·", id="source"),
        pytest.param({"topics": (_SPOOF, "\u202bAI\u202c")}, "#InvoiceGpjExe #AI", id="hashtags"),
    ],
)
@pytest.mark.parametrize("render", [render_post, TEXT_FORM])
def test_a_post_carries_no_bidi_control(
    changes: dict[str, object], shown: str, render: Callable[[Article], Post]
) -> None:

    post = render(an_article(**changes))
    assert _carries_none(post.html), post.html
    assert shown in post.html


def test_the_caption_form_fits_a_caption_whatever_the_image() -> None:
    """A photo post's edit once its image no longer qualifies: the text form's parts, in a
    caption's room, with no photo of its own (the message keeps the one it has)."""
    article = an_article(image_url=None, excerpt="word " * 400)
    post = render_post(article, form=PostForm.CAPTION)
    assert post.caption and post.photo_url is None and post.preview_url is None
    checked_text(post, CAPTION_LIMIT)
    assert not TEXT_FORM(article).caption
