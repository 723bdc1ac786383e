"""Every reply within Telegram's lengths: bot.handlers.replies.fit as a table, checked with the
fake's own HTML parser (what Telegram would count and refuse)."""

from __future__ import annotations

import pytest

from bot.handlers.replies import fit, quote
from tests.fake_telegram.html_entities import parse_html, utf16_len

FAMILY = "👨‍👩‍👧‍👦"  # one character on screen, 11 UTF-16 units
FLAG = "🇩🇪"
ACCENTED = "e\u0301"  # é as e + combining acute


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 4096, "short"),
        ("<b>bold</b> and &amp;", 10, "<b>bold</b> and &amp;"),  # 10 visible: markup is free
        ("abcdefghij", 5, "abcd…"),
        ("<b>abcdefghij</b>", 5, "<b>abcd…</b>"),
        (
            '<a href="https://x.example/">link text</a> tail',
            6,
            '<a href="https://x.example/">link…</a>',
        ),
        ("<b><i>abcdef</i></b>", 4, "<b><i>abc…</i></b>"),
        ("ab<b>cdef</b>", 3, "ab…"),  # a tag opened with nothing in it yet goes
        ("abc &amp;&amp;&amp; def", 6, "abc &amp;…"),  # an entity is whole or gone
        ("abc &#128512; def", 7, "abc &#128512;…"),  # 😀 counts 2
        ("abc &#128512; def", 6, "abc…"),
        (FAMILY * 3, 23, FAMILY * 2 + "…"),
        (FAMILY * 3, 22, FAMILY + "…"),
        (FLAG * 4, 6, FLAG + "…"),  # never half a flag
        (ACCENTED * 5, 3, ACCENTED + "…"),  # never an accent without its letter
        ("word word word", 10, "word word…"),
    ],
)
def test_fit(text: str, limit: int, expected: str) -> None:
    assert fit(text, limit) == expected


@pytest.mark.parametrize(
    "text",
    [
        "x" * 5000,
        "<b>" + "x" * 5000 + "</b>",
        "&lt;" * 5000,
        "😀" * 3000,
        ("<i>" + FAMILY + "</i> ") * 600,
        "“" + "&amp;" * 4094 + "” matches none of the topics. /topics lists them all.",
        "<b>AI</b>, " * 2000,
    ],
)
def test_a_fitted_reply_is_one_telegram_accepts(text: str) -> None:
    fitted = fit(text)
    plain, _ = parse_html(fitted)  # raises for a cut tag or entity, or tags left open
    assert 1 <= utf16_len(plain) <= 4096
    assert plain.endswith("…")


def test_plain_text_is_counted_as_written() -> None:
    # a callback answer is not parsed as HTML: "&amp;" is five characters there
    assert fit("&amp;" * 50, 200, parse_html=False) == "&amp;" * 39 + "&amp…"
    assert utf16_len(fit("Following " + "🤖" * 150, 200, parse_html=False)) <= 200


def test_quote_cuts_the_users_words_before_escaping_them() -> None:
    assert quote("<b>" * 40) == "&lt;b&gt;" * 26 + "&lt;…"
    assert quote("Computer Vision") == "Computer Vision"
