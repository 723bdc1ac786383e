"""Keyword filters (jobs.keyword_filter) as a table, and fan-out matching once per distinct
filter set (jobs.fanout)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from jobs import keyword_filter
from jobs.fanout import recipients
from jobs.keyword_filter import FilterSyntaxError, compile_filter, parse_terms
from storage.mapping import filters_text
from storage.records import Article, Subscriber
from tests.article_factory import stored_article

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

CASES = [
    # (terms, text, passes)
    (("+ai",), "AI, now in your phone", True),
    (("+ai",), "She said so", False),  # whole words: "said" does not contain the word "ai"
    (("+robot",), "Robots are here", False),  # no stemming: plain terms
    (("+gpt4",), "GPT4 arrives", True),
    (("+café",), "The CAFÉ opens", True),  # casefold
    (("+cafe",), "The café opens", False),  # accents are letters
    (("+large language model",), "A large  language model, again", True),
    (("+large language model",), "A large model of language", False),
    (("-crypto",), "AI meets crypto", False),
    (("-crypto",), "AI meets cryptography", True),
    (("+ai", "-crypto"), "AI meets crypto", False),  # a - term wins
    (("+ai", "+robots"), "Robots again", True),  # one + term is enough
    (("+机器学习",), "我们的机器学习模型", True),  # CJK: ideographs in a row, no spaces
    (("+学习",), "我们的机器学习模型", True),
    (("+学机",), "我们的机器学习模型", False),
    (("+ロボット",), "新しいロボットの話", True),
    (("+ai",), "ＡＩ full-width", True),  # NFKC
    ((), "anything", True),
]


@pytest.mark.parametrize(("terms", "text", "passes"), CASES)
def test_filter(terms: tuple[str, ...], text: str, passes: bool) -> None:
    assert compile_filter(terms).passes(text) is passes


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("+ai", ["+ai"]),
        ('+AI -"Crypto  Coin" +robots', ["+ai", "-crypto coin", "+robots"]),
        ("+“smart phone”", ["+smart phone"]),
    ],
)
def test_parse_terms(text: str, terms: list[str]) -> None:
    assert parse_terms(text) == terms


@pytest.mark.parametrize("text", ["ai", '+"open', "+ !!", "+" + "a" * 101])
def test_parse_refuses(text: str) -> None:
    with pytest.raises(FilterSyntaxError):
        parse_terms(text)


def _article(title: str) -> Article:
    return stored_article(NOW, url="u", title=title, topics=("AI",))


def test_fan_out_matches_once_per_distinct_filter_set(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled: list[tuple[str, ...]] = []
    real = keyword_filter.compile_filter

    def counting(terms: tuple[str, ...]) -> keyword_filter.KeywordFilter:
        compiled.append(tuple(terms))
        return real(terms)

    monkeypatch.setattr("jobs.fanout.compile_filter", counting)
    keep = filters_text(("+robots",))
    drop = filters_text(("-robots",))
    base = Subscriber(0, True, None, frozenset({"ai"}))
    subs = [replace(base, chat_id=n, filters=keep if n % 2 else drop) for n in range(1, 1001)]
    memo: dict[str, bool] = {}
    chosen = recipients(_article("Robots"), subs[:500], channel_id=-1, min_heat=100, memo=memo)
    chosen += recipients(_article("Robots"), subs[500:], channel_id=-1, min_heat=100, memo=memo)
    assert len(chosen) == 500 and all(chat % 2 for chat, _ in chosen)
    assert len(compiled) == 2  # two distinct sets, 1000 subscribers, two pages
