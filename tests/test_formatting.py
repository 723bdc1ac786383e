"""How a post looks: escaping, excerpt cleaning, hashtags, and Telegram's UTF-16 limits.

Every rendered post goes through two independent HTML checks: a small strict parser here, and
the fake Bot API's tdlib-style `parse_html`. Both must agree on the visible text, and
`visible_length` must agree with both.
"""

from __future__ import annotations

import dataclasses
import random
import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from bot.formatting import (
    CAPTION_LIMIT,
    EXCERPT_CAP,
    TEXT_LIMIT,
    TITLE_CAP,
    Post,
    clean_excerpt,
    hashtag,
    render_post,
    render_text_post,
    shorten,
    strip_bidi_controls,
    utf16_len,
    visible_length,
)
from storage.records import Article
from tests.fake_telegram.html_entities import parse_html

_NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
_BASE = Article(
    id=1,
    url="https://news.example/robots-learn",
    link="https://news.example/robots-learn?utm=x&ref=feed",
    title="Robots learn to fold laundry",
    excerpt="A lab taught a robot arm to fold shirts by watching people do it.",
    source_name="Example News",
    source_domain="news.example",
    image_url="https://cdn.news.example/robot.jpg",
    heat=142,
    published=True,
    published_at=_NOW,
    topics=("AI in Robotics", "AI"),
    first_seen_at=_NOW,
    updated_at=_NOW,
)

_ZWJ = "\u200d"
_FAMILY = "👨\u200d👩\u200d👧"
_MEGABYTE = 1_000_000


def _article(**changes: object) -> Article:
    return dataclasses.replace(_BASE, **changes)  # type: ignore[arg-type]


# --- the strict checker --------------------------------------------------------------------

_TELEGRAM_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ESCAPED_VALUE = re.compile(r'(?:[^&<>"]|&(?:lt|gt|amp|quot|#[0-9]+|#[xX][0-9a-fA-F]+);)*')


class _StrictPostHtml(HTMLParser):
    """Stricter than Telegram on purpose: only the tags a post uses, only Telegram's entities."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raw = self.get_starttag_text() or ""
        if tag == "b":
            assert raw == "<b>", raw
        elif tag == "a":
            match = re.fullmatch(r'<a href="([^"]*)">', raw)
            assert match is not None, raw
            assert _ESCAPED_VALUE.fullmatch(match.group(1)), raw
            assert "a" not in self.open, "nested links"
        else:
            raise AssertionError(f"tag not allowed: {raw}")
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise AssertionError(f"self-closing tag: {self.get_starttag_text()}")

    def handle_endtag(self, tag: str) -> None:
        assert self.open, f"</{tag}> closes nothing"
        assert self.open.pop() == tag, f"</{tag}> closes the wrong tag"

    def handle_data(self, data: str) -> None:
        assert not set(data) & set("<>&"), f"unescaped markup character in {data!r}"
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        assert name in _TELEGRAM_NAMED, f"&{name}; is not a Telegram entity"
        self.text.append(_TELEGRAM_NAMED[name])

    def handle_charref(self, name: str) -> None:
        code = int(name[1:], 16) if name[:1] in "xX" else int(name)
        assert 0 < code < 0x110000 and not 0xD800 <= code <= 0xDFFF, name
        self.text.append(chr(code))

    def handle_comment(self, data: str) -> None:
        raise AssertionError("comment")

    def handle_decl(self, decl: str) -> None:
        raise AssertionError("declaration")

    def handle_pi(self, data: str) -> None:
        raise AssertionError("processing instruction")

    def unknown_decl(self, data: str) -> None:
        raise AssertionError("unknown declaration")


def _visible_text(html: str) -> str:
    """The text Telegram shows, after both checkers accepted `html`."""
    checker = _StrictPostHtml()
    checker.feed(html)
    checker.close()
    assert not checker.open, f"unclosed: {checker.open}"
    text = "".join(checker.text)
    telegram_text, _ = parse_html(html)
    assert telegram_text == text
    assert visible_length(html) == utf16_len(text)
    return text


def _checked(post: Post, limit: int) -> str:
    """Validate everything any post must satisfy; return its visible text."""
    text = _visible_text(post.html)
    assert text.strip(), "empty post"
    assert visible_length(post.html) <= limit
    _, entities = parse_html(post.html)
    assert any(entity.type == "bold" and entity.offset == 0 for entity in entities)
    links = [entity.url for entity in entities if entity.type == "text_link"]
    assert links == ([post.link] if post.link else [])
    assert not any(unicodedata.category(ch) == "Cs" for ch in text), "lone surrogate"
    assert post.button_text
    return text


def _excerpt_block(text: str) -> str:
    blocks = text.split("\n\n")
    assert len(blocks) == 3, blocks
    return blocks[1]


# --- clean_excerpt -------------------------------------------------------------------------

_SOURCE_CUT = "Researchers say the model " + "learns quickly from data " * 11 + "and infere"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("Q&amp;A with the team.", "Q&A with the team.", id="amp-once"),
        pytest.param("AT&amp;amp;T.", "AT&amp;T.", id="double-encoded-stays-visible"),
        pytest.param("the model&#8217;s output.", "the model’s output.", id="numeric-entity"),
        pytest.param("&#x201C;quoted&#x201D;", "“quoted”", id="hex-entity"),
        pytest.param("&quot;fast&quot; &lt;b&gt;.", '"fast" <b>.', id="encoded-tag-is-text"),
        pytest.param("latency&nbsp;drops.", "latency drops.", id="nbsp"),
        pytest.param("latency\xa0\xa0drops.", "latency drops.", id="nbsp-character"),
        pytest.param("R&D budgets &bogus; grow.", None, id="not-entities"),
        pytest.param("R&para budgets.", "R&para budgets.", id="no-semicolon-no-entity"),
        pytest.param("first line\\nsecond line.", "first line second line.", id="literal-newline"),
        pytest.param("one\\r\\n\\r\\ntwo\\tthree.", "one two three.", id="literal-crlf-tab"),
        pytest.param('he said \\"ship it\\"', 'he said "ship it"', id="escaped-quotes"),
        pytest.param("it\\'s here.", "it's here.", id="escaped-apostrophe"),
        pytest.param("  lots \t of\r\n\n white   space. ", "lots of white space.", id="whitespace"),
        pytest.param("READ FULL ARTICLE Chips got faster.", "Chips got faster.", id="read-full"),
        pytest.param(
            "Read Full Article: Chips got faster!", "Chips got faster!", id="read-full-mixed"
        ),
        pytest.param("Chips got faster ...", "Chips got faster…", id="trailing-dots"),
        pytest.param("Chips got faster&hellip;", "Chips got faster…", id="trailing-hellip"),
        pytest.param("Chips got faster [&#8230;]", "Chips got faster…", id="bracketed-ellipsis"),
        pytest.param("Chips [...] got faster.", "Chips… got faster.", id="elision-inside"),
        pytest.param("Chips got faster. Continue reading →", "Chips got faster.", id="continue"),
        pytest.param("Chips got faster. Read more", "Chips got faster.", id="read-more"),
        pytest.param("Chips got faster. Read more…", "Chips got faster.", id="read-more-dots"),
        pytest.param(
            "Chips got faster. Continue reading “Why chips got faster” →",
            "Chips got faster.",
            id="continue-with-title",
        ),
        pytest.param(
            "Chips got faster. \\nThe post Chips &amp; you appeared first on Some Blog.\\n",
            "Chips got faster.",
            id="wordpress-footer",
        ),
        pytest.param("Everything you need to read more.", None, id="sentence-kept"),
        pytest.param("Read more about chips on Some Site.", None, id="leading-read-more-kept"),
        pytest.param("<p>One.</p><p>Two.</p>", "One. Two.", id="block-tags"),
        pytest.param("a <b>bold</b> <a href='x'>move</a>.", "a bold move.", id="inline-tags"),
        pytest.param("std::vector<float> wins.", None, id="code-kept"),
        pytest.param("zero\u200bwidth\ufeff.", "zerowidth.", id="invisible"),
        pytest.param("bell\x07and\x00nul.", "bell and nul.", id="controls"),
        pytest.param("lone\ud83dsurrogate.", "lonesurrogate.", id="lone-surrogate"),
        pytest.param(
            "Following â€˜Sensitive Dataâ€™ leak.",
            "Following ‘Sensitive Data’ leak.",
            id="mojibake",
        ),
        pytest.param("São Paulo château.", None, id="real-accents-kept"),
        pytest.param("人工智能正在改变世界。", None, id="chinese"),
        pytest.param("Nuevo modelo de visión 🚀", None, id="spanish-emoji"),
        pytest.param("NA", "", id="placeholder-NA"),
        pytest.param("na\\n", "", id="placeholder-na"),
        pytest.param("", "", id="empty"),
        pytest.param("   \\n  ", "", id="blank"),
        pytest.param(_SOURCE_CUT, _SOURCE_CUT.rsplit(" ", 1)[0] + "…", id="cut-by-source"),
        pytest.param(_SOURCE_CUT + "nce.", None, id="long-but-complete"),
        pytest.param(
            "Short, and cut after a clause,", "Short, and cut after a clause…", id="comma"
        ),
        pytest.param("Ends on a dash —", "Ends on a dash…", id="dash"),
        pytest.param(
            "A short headline-like excerpt", "A short headline-like excerpt…", id="short-unmarked"
        ),
    ],
)
def test_clean_excerpt(raw: str, expected: str | None) -> None:
    assert clean_excerpt(raw) == (raw if expected is None else expected)


def test_clean_excerpt_keeps_a_megabyte_of_chinese_whole() -> None:
    raw = "人工智能" * (_MEGABYTE // 4)
    assert clean_excerpt(raw) == raw + "…"  # no closing mark: treated as cut by the source


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


# --- lengths -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", 0), ("abc", 3), ("é", 1), ("😀", 2), (_FAMILY, 8), ("🇺🇸", 4), ("人工", 2)],
)
def test_utf16_len(text: str, expected: int) -> None:
    assert utf16_len(text) == expected


# (text, limit in UTF-16 units, what shorten keeps)
_SHORTENED = [
    pytest.param("Robots learn fast", 17, "Robots learn fast", id="fits"),
    pytest.param("Robots learn to fold laundry", 15, "Robots learn…", id="at-a-word"),
    pytest.param("abc", 0, "", id="no-room"),
    pytest.param("人工智能很强", 4, "人工智…", id="cjk-needs-no-space"),
    pytest.param(_FAMILY * 3, 10, _FAMILY + "…", id="zwj-family-whole"),
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


# --- layout --------------------------------------------------------------------------------


def test_full_post_layout() -> None:
    post = render_post(_BASE)
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
    )
    _checked(post, CAPTION_LIMIT)


def test_bare_post_is_the_linked_title_alone() -> None:
    article = _article(
        excerpt="", source_name=None, source_domain=None, heat=None, topics=(), image_url=None
    )
    post = render_post(article)
    assert post.html == (
        '<b><a href="https://news.example/robots-learn?utm=x&amp;ref=feed">'
        "Robots learn to fold laundry</a></b>"
    )
    _checked(post, TEXT_LIMIT)


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
    for post in (render_post(_article(**changes)), render_text_post(_article(**changes))):
        assert in_html in post.html
        text = _checked(post, CAPTION_LIMIT)
        if visible is not None:
            assert visible in text


def test_link_and_button_use_article_link() -> None:
    post = render_post(_article(link="  https://e.example/a?b=1&c=2 \n"))
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
    article = _article(
        source_name=source_name,
        source_domain=source_domain,
        heat=heat,
        link="https://www.wired.com/story/robots-fold-laundry/",
    )
    lines = _checked(render_post(article), CAPTION_LIMIT).split("\n")
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
    text = _checked(render_post(_article(topics=topics)), CAPTION_LIMIT)
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
    post = render_post(_article(image_url=image_url))
    assert post.photo_url == expected
    _checked(post, CAPTION_LIMIT if expected else TEXT_LIMIT)
    fallback = render_text_post(_article(image_url=image_url))
    assert fallback.photo_url is None
    assert fallback.html == post.html  # same look whichever way it goes out


# --- limits --------------------------------------------------------------------------------

_FORMS = [
    pytest.param(render_post, CAPTION_LIMIT, id="photo"),
    pytest.param(render_text_post, TEXT_LIMIT, id="text"),
]

# (megabyte excerpt, the whole pieces a cut may leave: emoji sequences, flags, characters)
_LONG_EXCERPTS = [
    pytest.param("😀" * (_MEGABYTE // 4), ["😀"], id="megabyte-emoji"),
    pytest.param("人工智能" * (_MEGABYTE // 12), list("人工智能"), id="megabyte-chinese"),
    pytest.param((_FAMILY + " ") * (_MEGABYTE // 20), [_FAMILY, " "], id="zwj-families"),
    pytest.param(_FAMILY * (_MEGABYTE // 20), [_FAMILY], id="zwj-families-unspaced"),
    pytest.param("🇺🇸🇯🇵" * (_MEGABYTE // 16), ["🇺🇸", "🇯🇵"], id="flags"),
    pytest.param("x🇺🇸🇯🇵" * (_MEGABYTE // 16), ["x", "🇺🇸", "🇯🇵"], id="flags-offset"),
    pytest.param("👍🏽" * (_MEGABYTE // 8), ["👍🏽"], id="skin-tones"),
    pytest.param("❤️" * (_MEGABYTE // 6), ["❤️"], id="variation-selectors"),
    pytest.param("1️⃣" * (_MEGABYTE // 7), ["1️⃣"], id="keycaps"),
    pytest.param("e\u0301" * (_MEGABYTE // 3), ["e\u0301"], id="combining-accents"),
    pytest.param("क्ष" * (_MEGABYTE // 3), ["क्ष"], id="devanagari-conjuncts"),
    pytest.param("x" * _MEGABYTE, ["x"], id="one-giant-word"),
    pytest.param("&amp;&#8217;&nbsp;" * (_MEGABYTE // 18), ["&", "’", " "], id="entities"),
    pytest.param("Models keep improving. " * (_MEGABYTE // 23), None, id="words"),
]


@pytest.mark.parametrize(("excerpt", "pieces"), _LONG_EXCERPTS)
@pytest.mark.parametrize(("render", "limit"), _FORMS)
def test_long_excerpts_fit_and_are_cut_cleanly(
    excerpt: str, pieces: list[str] | None, render: Callable[[Article], Post], limit: int
) -> None:
    post = render(_article(excerpt=excerpt))
    shown = _excerpt_block(_checked(post, limit))
    assert shown.endswith("…")
    assert EXCERPT_CAP - 40 <= utf16_len(shown) <= EXCERPT_CAP
    if pieces is not None:
        whole = "(?:" + "|".join(map(re.escape, pieces)) + ")*"
        assert re.fullmatch(whole, shown.removesuffix("…")), "a sequence was split"


def test_words_are_cut_at_a_word_boundary() -> None:
    words = [f"word{n}" for n in range(400)]
    shown = _excerpt_block(_checked(render_text_post(_article(excerpt=" ".join(words))), 4096))
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
    post = render(_article(title=title, excerpt="Short excerpt."))
    text = _checked(post, limit)
    shown_title = text.split("\n\n")[0]
    assert shown_title.endswith("…")
    assert utf16_len(shown_title) <= TITLE_CAP
    assert "Short excerpt." in text


def test_everything_oversized_still_fits_a_caption() -> None:
    article = _article(
        title="😀" * 5000,
        excerpt="😀" * _MEGABYTE,
        source_name="S" * 5000,
        heat=10**200,
        topics=tuple(f"Topic{'x' * 200}{n}" for n in range(50)),
    )
    for render, limit in ((render_post, CAPTION_LIMIT), (render_text_post, TEXT_LIMIT)):
        text = _checked(render(article), limit)
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
    article = _article(**changes, excerpt="", heat=None, topics=())
    post = render_post(article)
    title = _checked(post, CAPTION_LIMIT).split("\n\n")[0]
    assert title.strip()
    assert post.html.startswith("<b><a href=" if post.link else "<b>")


def test_excerpt_repeating_the_title_is_left_out() -> None:
    text = _checked(render_post(_article(excerpt="Robots learn to fold laundry.\\n")), 1024)
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

    article = _article(
        title=hostile(rng.choice((5, 50, 2000))),
        excerpt=hostile(rng.choice((5, 500, 5000))),
        link="https://e.example/" + hostile(20),
        source_name=hostile(30) or None,
        heat=rng.choice((None, -1, 0, 74, 284)),
        topics=tuple(hostile(15) for _ in range(rng.randrange(8))),
        image_url=rng.choice((None, "https://cdn.example/x.jpg", "/logo.png")),
    )
    post = render_post(article)
    _checked(post, CAPTION_LIMIT if post.photo_url else TEXT_LIMIT)
    _checked(render_text_post(article), TEXT_LIMIT)


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
@pytest.mark.parametrize("render", [render_post, render_text_post])
def test_a_post_carries_no_bidi_control(
    changes: dict[str, object], shown: str, render: Callable[[Article], Post]
) -> None:
    post = render(_article(**changes))
    assert _carries_none(post.html), post.html
    assert shown in post.html
