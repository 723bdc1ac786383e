"""Bidi controls never reach a reader (issue 10 item 8): a reply quotes names (typed by a user,
topic names in text, buttons and button answers) without them. Posts: tests/test_formatting.py.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.fake_telegram import callback_query_update
from tests.fake_telegram.server import FakeTelegram
from tests.live_bot import LiveBot, bot_config, fake_with, live_bot

# the embeddings, overrides and isolates; the marks (U+200E, U+200F, U+061C) are kept
CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
SPOOF = "Invoice \u202egpj.exe"
USER = 1001


def _carries_none(text: str) -> bool:
    return not set(text) & set(CONTROLS)


# -- replies, end to end -----------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with fake_with(USER) as running:
        yield running


@pytest.fixture
async def bot(fake: FakeTelegram, tmp_path: Path, bot_database_url: str) -> AsyncIterator[LiveBot]:
    config = bot_config(tmp_path, fake, topics=["AI", SPOOF], database={"url": bot_database_url})
    async with live_bot(fake, config) as running:
        yield running


def _strings(value: object) -> Iterator[str]:
    """Every string a request carried, JSON-encoded fields (reply_markup) opened up."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        if value[:1] in "{[":
            try:
                yield from _strings(json.loads(value))
                return
            except ValueError:
                pass
        yield value


async def test_replies_quote_names_without_bidi_controls(bot: LiveBot) -> None:
    fake = bot.fake
    followed = await bot.ask(USER, USER, f"/topic {SPOOF}")
    unknown = await bot.ask(USER, USER, "/topic \u2067Quarterly\u2069 \u202ereport\u202c")
    mine = await bot.ask(USER, USER, "/mytopics")
    assert "gpj.exe" in followed and "gpj.exe" in mine and "report" in unknown

    await bot.ask(USER, USER, "/topics")
    (listing,) = [m for m in fake.messages(USER) if m.from_bot and m.reply_markup]
    assert listing.reply_markup is not None
    spoof_button = listing.reply_markup["inline_keyboard"][1][0]
    assert "gpj.exe" in spoof_button["text"]
    edits = len(fake.calls_of("editMessageText"))
    fake.push_update(
        callback_query_update(
            USER, USER, listing.message_id, spoof_button["callback_data"], query_id="q1"
        )
    )
    await fake.wait_for_async(
        lambda f: (
            "q1" in f.answered_callback_queries and len(f.calls_of("editMessageText")) > edits
        ),
        what="the button's answer and edit",
    )
    assert "gpj.exe" in (fake.answered_callback_queries["q1"]["text"] or "")

    to_user = [c for c in fake.calls if c.params.get("chat_id") in (USER, str(USER))]
    answers = fake.calls_of("answerCallbackQuery")
    assert to_user and answers
    for call in to_user + answers:
        for shown in _strings(call.params):
            assert _carries_none(shown), f"{call.method}: {shown!r}"
