"""Excerpts as a reader of the channel sees them: entities decoded once, markup and invisible
characters gone, cuts marked (issue 12, item 4), fragment joins one "…", the sources' boilerplate
gone, placeholders no excerpt.

The fixtures of the reader cases are written for these tests, modelled on what the shared corpus
shows (a market report cut after "It describes", a share widget's "Your email has been sent", a
sponsor line before the lede, "English" as a whole excerpt); none is copied from it.
"""

from __future__ import annotations

import dataclasses
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

from bot.formatting import clean_excerpt, render_post
from bot.formatting.boilerplate import BOILERPLATE, parse_boilerplate, strip_boilerplate
from tests.rendered_posts import MEGABYTE, an_article

ROOT = Path(__file__).resolve().parent.parent

# --- decoding, markup, whitespace, marks ---------------------------------------------------

_SOURCE_CUT = "Researchers say the model " + "learns quickly from data " * 11 + "and infere"


CLEAN_EXCERPT_CASES = [
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
    pytest.param("Read Full Article: Chips got faster!", "Chips got faster!", id="read-full-mixed"),
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
    pytest.param("Short, and cut after a clause,", "Short, and cut after a clause…", id="comma"),
    pytest.param("Ends on a dash —", "Ends on a dash…", id="dash"),
    pytest.param(
        "A short headline-like excerpt", "A short headline-like excerpt…", id="short-unmarked"
    ),
]


# --- as the reader sees it (issue 12, item 4) ------------------------------------------------

READER_EXCERPT_CASES = [
    # --- cut without a mark -------------------------------------------------------------
    pytest.param(
        "A new report on the robot vacuum market is out. It covers",
        "A new report on the robot vacuum market is out. It covers…",
        id="cut-after-a-sentence",
    ),
    pytest.param(
        "The market is expected to reach USD 12.5 billion by 2030, growing",
        "The market is expected to reach USD 12.5 billion by 2030, growing…",
        id="cut-mid-clause",
    ),
    pytest.param(
        "Regulators published rules.The rules involve",
        "Regulators published rules.The rules involve…",
        id="cut-after-unspaced-sentence",
    ),
    pytest.param("Rename of data sources", "Rename of data sources…", id="headline-like"),
    pytest.param(
        "Join the call: https://example.org/call-join",
        "Join the call: https://example.org/call-join…",
        id="ends-on-a-link",
    ),
    pytest.param(
        "Details: https://example.org/", "Details: https://example.org/…", id="link-slash-kept"
    ),
    pytest.param("Robots fold laundry now.", None, id="sentence"),
    pytest.param("Is this the end of manual sorting?", None, id="question"),
    pytest.param("It ships in May (in preview)", None, id="parenthesis"),
    pytest.param("新模型发布了。", None, id="chinese-full-stop"),
    pytest.param("Nuevo robot de cocina 🤖", None, id="emoji-ends-a-headline"),
    # --- fragment joins -----------------------------------------------------------------
    pytest.param(
        "The arm learns to grip ... and then it sorts parcels.",
        "The arm learns to grip… and then it sorts parcels.",
        id="spaced-join",
    ),
    pytest.param(
        "Questions answered by our experts….The Super Users!",
        "Questions answered by our experts… The Super Users!",
        id="join-then-period",
    ),
    pytest.param("first part...second part.", "first part… second part.", id="unspaced"),
    pytest.param("one … … two.", "one… two.", id="repeated"),
    pytest.param(
        "Links we curated to help novice,…",
        "Links we curated to help novice…",
        id="comma-then-mark",
    ),
    pytest.param("Three steps: …", "Three steps…", id="colon-then-mark"),
    pytest.param("Open models vs.", "Open models…", id="ends-on-vs"),
    pytest.param("Led by Dr.", "Led by…", id="ends-on-a-title"),
    pytest.param(
        "Models improve ... costs drop ... and the cycle repeats ...",
        "Models improve… costs drop… and the cycle repeats…",
        id="several-and-final",
    ),
    # --- boilerplate --------------------------------------------------------------------
    pytest.param(
        "Learn more about GamesBeat Summit sponsorship opportunities here. A chip maker "
        "unveiled new modems at a trade show.",
        "A chip maker unveiled new modems at a trade show.",
        id="sponsor-line-first",
    ),
    pytest.param(
        "Robots get cheaper Your email has been sent Robot arms cost half what they did.",
        "Robot arms cost half what they did.",
        id="share-widget",
    ),
    pytest.param(
        "Un fabricante llama a revisión a sus coches. Descubre por qué. Source: CNN",
        "Un fabricante llama a revisión a sus coches. Descubre por qué.",
        id="source-footer",
    ),
    pytest.param(
        "Disclaimer | Accessibility Statement | Commerce Policy | Made In NYC | Stock quotes "
        "by finanzen.net A software maker added features to its app builder ...",
        "A software maker added features to its app builder…",
        id="site-footer-as-lede",
    ),
    pytest.param(
        "InvestorPlace - Stock Market News, Stock Advice & Trading Tips Chip stocks rallied.",
        "Chip stocks rallied.",
        id="site-tagline",
    ),
    pytest.param(
        "The chatbot took off in weeks — way ... Invite your friends and family to sign up "
        "for Tech Daily, our daily newsletter that breaks down the news",
        "The chatbot took off in weeks — way…",
        id="newsletter-plug",
    ),
    pytest.param(
        "Some points must be made: Please accept cookies or get more information.",
        "Some points must be made…",
        id="cookie-banner",
    ),
    pytest.param("A GamesBeat reporter asks whether robots can play.", None, id="outlet-name-kept"),
    pytest.param("The source: CNN reported it first.", None, id="source-mid-text-kept"),
    # --- placeholders -------------------------------------------------------------------
    pytest.param("English", "", id="language-name"),
    pytest.param("Placeholder.", "", id="placeholder"),
    pytest.param("  TBD  ", "", id="tbd"),
    pytest.param("n/a", "", id="n-a"),
    pytest.param("...", "", id="dots-only"),
    pytest.param("English lessons from a robot tutor.", None, id="word-in-a-sentence"),
]


@pytest.mark.parametrize(("raw", "expected"), CLEAN_EXCERPT_CASES + READER_EXCERPT_CASES)
def test_clean_excerpt(raw: str, expected: str | None) -> None:
    assert clean_excerpt(raw) == (raw if expected is None else expected)


def test_clean_excerpt_keeps_a_megabyte_of_chinese_whole() -> None:
    raw = "人工智能" * (MEGABYTE // 4)
    assert clean_excerpt(raw) == raw + "…"  # no closing mark: treated as cut by the source


def test_a_junk_excerpt_leaves_the_post_without_one() -> None:
    article = an_article(excerpt="English")
    post = render_post(article)
    assert "English" not in post.html
    assert post.html.count("\n\n") == 1  # title, footer: no excerpt block
    assert "laundry</a></b>\n\nExample News" in post.html
    assert render_post(dataclasses.replace(article, excerpt="Real text.")).html.count("\n\n") == 2


# --- the data file -------------------------------------------------------------------------


def test_every_pattern_removes_its_example() -> None:
    assert len(BOILERPLATE.examples) >= 10
    for pattern, example in BOILERPLATE.examples:
        assert pattern.search(example), (pattern.pattern, example)
        assert strip_boilerplate(example) != example, pattern.pattern


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param("- a list", "not a mapping", id="not-a-mapping"),
        pytest.param("tail:\n  - example: x\n", r"tail\[0\]: needs a `pattern`", id="no-pattern"),
        pytest.param(
            "lead:\n  - pattern: 'x'\n", r"lead\[0\]: needs an `example`", id="no-example"
        ),
        pytest.param(
            "anywhere:\n  - {pattern: '(', example: x}\n", r"anywhere\[0\]: missing \)", id="regex"
        ),
        pytest.param("placeholders: [1, 2]\n", "placeholders must be", id="placeholders"),
    ],
)
def test_a_broken_data_file_names_the_entry(document: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_boilerplate(document)


def test_the_data_file_ships_with_the_package() -> None:
    # A fresh `pip install .` (the Docker image) must carry boilerplate.yaml: every non-Python
    # file of the package is covered by the package-data globs.
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = pyproject["tool"]["setuptools"]["package-data"].get("bot", [])
    package = ROOT / "bot"
    data = [p for p in (package / "formatting").iterdir() if p.suffix in (".yaml", ".yml")]
    assert data
    for path in data:
        relative = path.relative_to(package).as_posix()
        assert any(fnmatch(relative, pattern) for pattern in globs), relative
