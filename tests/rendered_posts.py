"""Posts as the formatting tests check them: a base article to vary, and the checks every
rendered post must pass. Every post goes through two independent HTML checks: a small strict
parser here, and the fake Bot API's tdlib-style `parse_html`. Both must agree on the visible
text, and `visible_length` must agree with both."""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from datetime import UTC, datetime
from html.parser import HTMLParser

from bot.formatting import Post, utf16_len, visible_length
from storage.records import Article
from tests.article_factory import stored_article
from tests.fake_telegram.html_entities import parse_html

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
BASE_ARTICLE = stored_article(
    NOW,
    url="https://news.example/robots-learn",
    link="https://news.example/robots-learn?utm=x&ref=feed",
    title="Robots learn to fold laundry",
    excerpt="A lab taught a robot arm to fold shirts by watching people do it.",
    source_name="Example News",
    source_domain="news.example",
    image_url="https://cdn.news.example/robot.jpg",
    heat=142,
    topics=("AI in Robotics", "AI"),
)

FAMILY = "👨\u200d👩\u200d👧"
MEGABYTE = 1_000_000


def an_article(**changes: object) -> Article:
    return dataclasses.replace(BASE_ARTICLE, **changes)  # type: ignore[arg-type]


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


def checked_text(post: Post, limit: int) -> str:
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


def excerpt_block(text: str) -> str:
    blocks = text.split("\n\n")
    assert len(blocks) == 3, blocks
    return blocks[1]
