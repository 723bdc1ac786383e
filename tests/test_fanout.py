"""Who receives an article besides the channel (jobs.fanout.recipients), as a table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobs.fanout import recipients
from storage.records import Article, Subscriber, topic_key
from tests.article_factory import stored_article

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
CHANNEL = -100500


def article(heat: int | None = 150, topics: tuple[str, ...] = ("AI", "Computer Vision")) -> Article:
    return stored_article(NOW, heat=heat, topics=topics)


def chat(
    chat_id: int, *topics: str, active: bool = True, min_heat: int | None = None
) -> Subscriber:
    return Subscriber(chat_id, active, min_heat, frozenset(topic_key(t) for t in topics))


CASES = [
    pytest.param(article(), [chat(1, "AI")], 100, [(1, 0)], id="follows one topic"),
    pytest.param(
        article(), [chat(1, "AI", "Computer Vision")], 100, [(1, 0)], id="two matching topics: once"
    ),
    pytest.param(
        article(), [chat(1, "AI"), chat(1, "Computer Vision")], 100, [(1, 0)], id="dup rows"
    ),
    pytest.param(article(), [chat(1, "Robotics")], 100, [], id="follows other topics only"),
    pytest.param(
        article(), [chat(1, "computer  vision")], 100, [(1, 0)], id="topic identity is key"
    ),
    pytest.param(article(), [chat(1, "AI", active=False)], 100, [], id="inactive chat"),
    pytest.param(article(), [chat(CHANNEL, "AI")], 100, [], id="the channel is no subscriber"),
    pytest.param(article(heat=150), [chat(1, "AI", min_heat=200)], 100, [], id="own threshold"),
    pytest.param(article(heat=200), [chat(1, "AI", min_heat=200)], 100, [(1, 0)], id="own reached"),
    pytest.param(article(heat=150), [chat(1, "AI", min_heat=50)], 160, [], id="never below global"),
    pytest.param(article(heat=150), [chat(1, "AI")], 160, [], id="below global, no own"),
    pytest.param(
        article(heat=150),
        [chat(1, "AI"), chat(2, "AI", min_heat=200), chat(3, "AI", min_heat=120)],
        100,
        [(1, 0), (3, 0)],
        id="own and global thresholds side by side",
    ),
    pytest.param(article(heat=None), [chat(1, "AI")], 100, [], id="no heat: scheduled no"),
    pytest.param(
        article(heat=10), [chat(1, "AI", min_heat=500)], None, [(1, 0)], id="manual ignores heat"
    ),
    pytest.param(article(heat=None), [chat(1, "AI")], None, [(1, 0)], id="manual, no heat"),
    pytest.param(article(topics=()), [chat(1, "AI")], 100, [], id="article without topics"),
    pytest.param(
        article(),
        [chat(3, "AI"), chat(2, "Computer Vision"), chat(1, "Robotics")],
        100,
        [(2, 0), (3, 0)],
        id="several chats, ascending",
    ),
]


@pytest.mark.parametrize(("item", "candidates", "min_heat", "expected"), CASES)
def test_recipients(
    item: Article,
    candidates: list[Subscriber],
    min_heat: float | None,
    expected: list[tuple[int, int]],
) -> None:
    assert recipients(item, candidates, channel_id=CHANNEL, min_heat=min_heat) == expected
