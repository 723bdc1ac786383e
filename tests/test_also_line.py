"""The "Also:" line of a story's post (bot/formatting/also.py) and its place in the post: within
Telegram's limits as Telegram counts them, each outlet linked once."""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.formatting import CAPTION_LIMIT, TEXT_LIMIT, PostForm, render_post, visible_length
from bot.formatting.also import ALSO_CAP, also_line
from storage.records import Article
from tests.article_factory import stored_article

# the text form, as the sender renders it for the text fallback
TEXT_FORM = functools.partial(render_post, form=PostForm.TEXT)

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _article(id_: int, name: str | None, link: str, excerpt: str = "An excerpt.") -> Article:
    return stored_article(
        NOW,
        id=id_,
        url=link,
        link=link,
        title=f"Story told by {name}",
        excerpt=excerpt,
        source_name=name,
        image_url="https://img.example.com/a.jpg",
        heat=120,
        topics=("AI",),
    )


LEAD = _article(1, "First Wire", "https://first.example/story")


def test_outlets_are_linked_in_order_once_each() -> None:
    others = [
        _article(2, "Techwire", "https://techwire.example/a"),
        _article(3, "R&D Daily", "https://rnd.example/b?x=1&y=2"),
        _article(4, "techwire", "https://techwire.example/again"),  # same outlet: once
        _article(5, "Nowhere", "javascript:alert(1)"),  # no http link: left out
        _article(6, None, "https://www.host-only.example/c"),  # no name: the host
    ]
    line = also_line(others, 500)
    assert line.html == (
        'Also: <a href="https://techwire.example/a">Techwire</a>, '
        '<a href="https://rnd.example/b?x=1&amp;y=2">R&amp;D Daily</a>, '
        '<a href="https://www.host-only.example/c">www.host-only.example</a>'
    )
    assert line.length == visible_length(line.html)


def test_no_others_no_line() -> None:
    assert also_line([], 500).html == ""
    assert render_post(LEAD, []) == render_post(LEAD)


@pytest.mark.parametrize("room", [0, 5, 12, 30, 60, 1000])
def test_the_line_fits_its_room_and_counts_what_is_left_out(room: int) -> None:
    others = [_article(n, f"Outlet number {n}", f"https://o{n}.example/x") for n in range(2, 40)]
    line = also_line(others, room)
    assert line.length <= min(room, ALSO_CAP)
    assert line.length == visible_length(line.html)
    if line.html:
        assert line.html.startswith("Also: ")
        assert line.html.endswith(f" +{38 - line.html.count('<a ')}")


@pytest.mark.parametrize(
    ("render", "limit"), [(render_post, CAPTION_LIMIT), (TEXT_FORM, TEXT_LIMIT)]
)
def test_a_long_story_still_fits_and_the_excerpt_gives_way(render: object, limit: int) -> None:
    lead = replace(LEAD, excerpt="Word " * 2000, topics=tuple(f"Topic {n}" for n in range(30)))
    others = [
        _article(n, f"Outlet {n} with a rather long name", f"https://o{n}.e/x") for n in range(50)
    ]
    assert callable(render)
    post = render(lead, others)
    assert visible_length(post.html) <= limit
    assert "Also: " in post.html
    # the line comes after the excerpt, before the source and heat
    assert post.html.index("Word") < post.html.index("Also: ") < post.html.index("🔥")
