"""Excerpts as a reader of the channel sees them (issue 12, item 4): cuts are marked, fragment
joins are one "…", the sources' boilerplate is gone, placeholders are no excerpt.

The fixtures are written for these tests, modelled on what the shared corpus shows (a market
report cut after "It describes", a share widget's "Your email has been sent", a sponsor line
before the lede, "English" as a whole excerpt); none is copied from it.
"""

from __future__ import annotations

import dataclasses
import tomllib
from datetime import UTC, datetime
from fnmatch import fnmatch
from pathlib import Path

import pytest

from bot.formatting import clean_excerpt, render_post
from bot.formatting.boilerplate import BOILERPLATE, parse_boilerplate, strip_boilerplate
from tests.article_factory import stored_article

ROOT = Path(__file__).resolve().parent.parent


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


@pytest.mark.parametrize(("raw", "expected"), READER_EXCERPT_CASES)
def test_excerpt_as_the_reader_sees_it(raw: str, expected: str | None) -> None:
    assert clean_excerpt(raw) == (raw if expected is None else expected)


def test_a_junk_excerpt_leaves_the_post_without_one() -> None:
    now = datetime(2024, 3, 1, tzinfo=UTC)
    article = stored_article(
        now,
        url="https://apps.example/blog/portal-components",
        link="https://apps.example/blog/portal-components",
        title="Use code components on portal pages",
        excerpt="English",
        source_name="Apps Blog",
        source_domain="apps.example",
        heat=90,
        topics=("Portals",),
    )
    post = render_post(article)
    assert "English" not in post.html
    assert post.html.count("\n\n") == 1  # title, footer: no excerpt block
    assert "portal pages</a></b>\n\nApps Blog" in post.html
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
