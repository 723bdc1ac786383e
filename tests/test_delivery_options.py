"""Which followed topics a post's "🔕 Unfollow" button names: the pure rule, one row per case."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobs.delivery.options import topic_keys, unfollow_topics
from tests.article_factory import stored_article

FOLLOWED = {"ai": (1, "AI"), "computervision": (2, "Computer Vision"), "rust": (3, "Rust")}

CASES: list[tuple[str, int, tuple[str, ...], dict[str, tuple[int, str]] | None, object]] = [
    ("private chat, one followed topic", 5, ("ai",), FOLLOWED, ((1, "AI"),)),
    (
        "in the article's order, not the subscription's",
        5,
        ("rust", "ai"),
        FOLLOWED,
        ((3, "Rust"), (1, "AI")),
    ),
    ("topics not followed are left out", 5, ("ai", "go"), FOLLOWED, ((1, "AI"),)),
    ("follows none of them", 5, ("go",), FOLLOWED, ()),
    ("follows nothing", 5, ("ai",), None, ()),
    ("a group gets no button", -100, ("ai",), FOLLOWED, ()),
    ("a channel gets no button", -1001234, ("ai",), FOLLOWED, ()),
]


@pytest.mark.parametrize(
    ("chat_id", "keys", "followed", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_unfollow_topics(
    chat_id: int,
    keys: tuple[str, ...],
    followed: dict[str, tuple[int, str]] | None,
    expected: object,
) -> None:
    assert unfollow_topics(chat_id, keys, followed) == expected


def test_topic_keys_are_each_topic_once_in_the_articles_order() -> None:
    topics = ("Computer Vision", "AI", "#ComputerVision", "computer  vision")
    article = stored_article(datetime.now(UTC), topics=topics)
    assert topic_keys(article) == ("computervision", "ai")
