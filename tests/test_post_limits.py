"""Telegram's UTF-16 limits: lengths as Telegram counts them, shortening, and every post, however
long or hostile its article, fitting a caption or a message and cut cleanly.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Callable

import pytest

from bot.formatting import (
    CAPTION_LIMIT,
    EXCERPT_CAP,
    TEXT_LIMIT,
    TITLE_CAP,
    Post,
    PostForm,
    render_post,
    shorten,
    utf16_len,
    visible_length,
)
from storage.records import Article
from tests.rendered_posts import (
    FAMILY,
    MEGABYTE,
    an_article,
    checked_text,
    excerpt_block,
)

# the text form, as the sender renders it for the text fallback
TEXT_FORM = functools.partial(render_post, form=PostForm.TEXT)

_ZWJ = "\u200d"

# --- lengths -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", 0), ("abc", 3), ("é", 1), ("😀", 2), (FAMILY, 8), ("🇺🇸", 4), ("人工", 2)],
)
def test_utf16_len(text: str, expected: int) -> None:
    assert utf16_len(text) == expected


# (text, limit in UTF-16 units, what shorten keeps)
_SHORTENED = [
    pytest.param("Robots learn fast", 17, "Robots learn fast", id="fits"),
    pytest.param("Robots learn to fold laundry", 15, "Robots learn…", id="at-a-word"),
    pytest.param("abc", 0, "", id="no-room"),
    pytest.param("人工智能很强", 4, "人工智…", id="cjk-needs-no-space"),
    pytest.param(FAMILY * 3, 10, FAMILY + "…", id="zwj-family-whole"),
    pytest.param("🇺🇸🇯🇵🇩🇪", 10, "🇺🇸🇯🇵…", id="flags-whole"),
    pytest.param("e\u0301" * 9, 5, "e\u0301" * 2 + "…", id="accent-stays-on-its-letter"),
    # a conjunct (consonant + virama + consonant) is one cluster: "क्" alone is another letter
    pytest.param("क्ष" * 10, 6, "क्ष…", id="devanagari-conjunct"),
    pytest.param("क्षत्रिय" * 5, 7, "क्ष…", id="devanagari-conjunct-and-sign"),
]


@pytest.mark.parametrize(("text", "limit", "expected"), _SHORTENED)
def test_shorten(text: str, limit: int, expected: str) -> None:
    assert shorten(text, limit) == expected
    assert utf16_len(shorten(text, limit)) <= limit


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<b>bold</b>", 4),
        ('<b><a href="https://e.example/?a=1&amp;b=2">link</a></b>', 4),
        ("&lt;&gt;&amp;&quot;", 4),
        ("&#8217;", 1),
        ("&#x1F600;", 2),
        ("😀 ok", 5),
        ("line\n\nline", 10),
    ],
)
def test_visible_length(html: str, expected: int) -> None:
    assert visible_length(html) == expected


# --- limits --------------------------------------------------------------------------------

_FORMS = [
    pytest.param(render_post, CAPTION_LIMIT, id="photo"),
    pytest.param(TEXT_FORM, TEXT_LIMIT, id="text"),
]

# (megabyte excerpt, the whole pieces a cut may leave: emoji sequences, flags, characters)
_LONG_EXCERPTS = [
    pytest.param("😀" * (MEGABYTE // 4), ["😀"], id="megabyte-emoji"),
    pytest.param("人工智能" * (MEGABYTE // 12), list("人工智能"), id="megabyte-chinese"),
    pytest.param((FAMILY + " ") * (MEGABYTE // 20), [FAMILY, " "], id="zwj-families"),
    pytest.param(FAMILY * (MEGABYTE // 20), [FAMILY], id="zwj-families-unspaced"),
    pytest.param("🇺🇸🇯🇵" * (MEGABYTE // 16), ["🇺🇸", "🇯🇵"], id="flags"),
    pytest.param("x🇺🇸🇯🇵" * (MEGABYTE // 16), ["x", "🇺🇸", "🇯🇵"], id="flags-offset"),
    pytest.param("👍🏽" * (MEGABYTE // 8), ["👍🏽"], id="skin-tones"),
    pytest.param("❤️" * (MEGABYTE // 6), ["❤️"], id="variation-selectors"),
    pytest.param("1️⃣" * (MEGABYTE // 7), ["1️⃣"], id="keycaps"),
    pytest.param("e\u0301" * (MEGABYTE // 3), ["e\u0301"], id="combining-accents"),
    pytest.param("क्ष" * (MEGABYTE // 3), ["क्ष"], id="devanagari-conjuncts"),
    pytest.param("x" * MEGABYTE, ["x"], id="one-giant-word"),
    pytest.param("&amp;&#8217;&nbsp;" * (MEGABYTE // 18), ["&", "’", " "], id="entities"),
    pytest.param("Models keep improving. " * (MEGABYTE // 23), None, id="words"),
]


@pytest.mark.parametrize(("excerpt", "pieces"), _LONG_EXCERPTS)
@pytest.mark.parametrize(("render", "limit"), _FORMS)
def test_long_excerpts_fit_and_are_cut_cleanly(
    excerpt: str, pieces: list[str] | None, render: Callable[[Article], Post], limit: int
) -> None:
    post = render(an_article(excerpt=excerpt))
    shown = excerpt_block(checked_text(post, limit))
    assert shown.endswith("…")
    assert EXCERPT_CAP - 40 <= utf16_len(shown) <= EXCERPT_CAP
    if pieces is not None:
        whole = "(?:" + "|".join(map(re.escape, pieces)) + ")*"
        assert re.fullmatch(whole, shown.removesuffix("…")), "a sequence was split"


def test_words_are_cut_at_a_word_boundary() -> None:
    words = [f"word{n}" for n in range(400)]
    shown = excerpt_block(
        checked_text(render_post(an_article(excerpt=" ".join(words)), form=PostForm.TEXT), 4096)
    )
    assert shown.endswith("…") and not shown.endswith(" …")
    assert shown.removesuffix("…").split(" ") == words[: len(shown.split(" "))]


@pytest.mark.parametrize(
    "title",
    [
        pytest.param("x" * 5000, id="one-word"),
        pytest.param("Breaking news " * 400, id="words"),
        pytest.param("😀" * 5000, id="emoji"),
        pytest.param("人工智能" * 1500, id="chinese"),
        pytest.param("<&>" * 2000, id="all-escapes"),
    ],
)
@pytest.mark.parametrize(("render", "limit"), _FORMS)
def test_long_title_is_shortened(title: str, render: Callable[[Article], Post], limit: int) -> None:
    post = render(an_article(title=title, excerpt="Short excerpt."))
    text = checked_text(post, limit)
    shown_title = text.split("\n\n")[0]
    assert shown_title.endswith("…")
    assert utf16_len(shown_title) <= TITLE_CAP
    assert "Short excerpt." in text


def test_everything_oversized_still_fits_a_caption() -> None:
    article = an_article(
        title="😀" * 5000,
        excerpt="😀" * MEGABYTE,
        source_name="S" * 5000,
        heat=10**200,
        topics=tuple(f"Topic{'x' * 200}{n}" for n in range(50)),
    )
    for render, limit in ((render_post, CAPTION_LIMIT), (TEXT_FORM, TEXT_LIMIT)):
        text = checked_text(render(article), limit)
        assert text.startswith("😀")


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"title": ""}, id="empty-title"),
        pytest.param({"title": " \n\t"}, id="blank-title"),
        pytest.param({"title": "", "source_name": None, "source_domain": None}, id="no-source"),
        pytest.param(
            {"title": "", "source_name": None, "source_domain": None, "link": ""}, id="nothing"
        ),
    ],
)
def test_post_is_never_empty(changes: dict[str, object]) -> None:
    article = an_article(**changes, excerpt="", heat=None, topics=())
    post = render_post(article)
    title = checked_text(post, CAPTION_LIMIT).split("\n\n")[0]
    assert title.strip()
    assert post.html.startswith("<b><a href=" if post.link else "<b>")


def test_excerpt_repeating_the_title_is_left_out() -> None:
    text = checked_text(render_post(an_article(excerpt="Robots learn to fold laundry.\\n")), 1024)
    assert text.split("\n\n")[1] == "Example News · 🔥 142\n#AIInRobotics #AI"


@pytest.mark.parametrize("seed", range(200))
def test_random_hostile_articles_render_valid_html(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = [
        "a", "b", " ", " ", "\n", "&", "<", ">", '"', "'", "&amp;", "&lt;", "&#8217;", "&nbsp;",
        "&bogus;", "\\n", "\\", "😀", _ZWJ, "\ufe0f", "🏽", "🇺", "\u0301", "人", "é", "\ud83d",
        "\x00", "…", "...", "[…]", "READ FULL ARTICLE", "<b>", "</a>", "<p>", "#",
    ]  # fmt: skip

    def hostile(size: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(size)))

    article = an_article(
        title=hostile(rng.choice((5, 50, 2000))),
        excerpt=hostile(rng.choice((5, 500, 5000))),
        link="https://e.example/" + hostile(20),
        source_name=hostile(30) or None,
        heat=rng.choice((None, -1, 0, 74, 284)),
        topics=tuple(hostile(15) for _ in range(rng.randrange(8))),
        image_url=rng.choice((None, "https://cdn.example/x.jpg", "/logo.png")),
    )
    post = render_post(article)
    checked_text(post, CAPTION_LIMIT if post.photo_url else TEXT_LIMIT)
    checked_text(render_post(article, form=PostForm.TEXT), TEXT_LIMIT)
