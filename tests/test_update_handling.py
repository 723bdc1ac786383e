"""How updates are received and handled, end to end: the real Application (FeedBot, ChatLanes,
PacedRateLimiter) polling the fake Bot API — unparseable and repeated updates, floods, stale
buttons, vanished messages."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.article_factory import write_article
from tests.bot_process import CHANNEL_ID
from tests.fake_telegram import callback_query_update, message_update
from tests.fake_telegram.server import FakeTelegram
from tests.live_bot import ADMIN, LiveBot, add_channel, bot_config, live_bot

USER, OTHER, QUIET = 1001, 1002, 1003
URL = "https://example.com/news/robots-read"


def _fake(enforce: bool) -> Iterator[FakeTelegram]:
    with FakeTelegram(enforce_rate_limits=enforce) as running:
        add_channel(running)
        for user_id in (ADMIN, USER, OTHER, QUIET):
            running.add_chat(user_id)
        yield running
    assert running.internal_errors == []


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    yield from _fake(enforce=False)


@pytest.fixture
def strict_fake() -> Iterator[FakeTelegram]:
    yield from _fake(enforce=True)


@pytest.fixture
async def bot(fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[LiveBot]:
    async with live_bot(fake, bot_config(tmp_path, fake, topics=["AI", "Robotics"])) as running:
        yield running


def raw_message(chat_id: int, text: str, message_id: int) -> dict[str, Any]:
    """A message update for a chat the fake knows, not registered by push_update."""
    return message_update(chat_id, chat_id, text, message_id=message_id)


def chatless(message_id: int) -> dict[str, Any]:
    update = message_update(USER, USER, "/help", message_id=message_id)
    del update["message"]["chat"]  # every handler would trip over it
    return update


def typeless_chat(message_id: int) -> dict[str, Any]:
    update = message_update(USER, USER, "/help", message_id=message_id)
    del update["message"]["chat"]["type"]  # python-telegram-bot cannot build the Chat
    return update


async def test_an_unparseable_update_is_skipped_once_and_the_rest_is_handled(
    bot: LiveBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    _, bad_middle, _ = bot.fake.push_raw_updates(
        raw_message(USER, "/help", 1), typeless_chat(2), raw_message(OTHER, "/help", 3)
    )
    await bot.fake.wait_for_async(lambda f: f.sent(USER) and f.sent(OTHER), what="both answers")
    # A batch that ends with the bad one: the offset must still move past it.
    (bad_last,) = bot.fake.push_raw_updates(chatless(4))
    await bot.settle()
    await bot.fake.wait_for_async(lambda f: not f.pending_updates(), what="all confirmed")
    polls = len(bot.fake.calls_of("getUpdates"))
    assert await bot.ask(USER, USER, "/help")
    assert len(bot.fake.calls_of("getUpdates")) - polls < 5  # no tight loop
    skipped = [r.getMessage() for r in caplog.records if "skipped update" in r.getMessage()]
    assert len(skipped) == 2, skipped
    assert skipped[0].startswith(f"skipped update {bad_middle}: cannot be parsed")
    assert skipped[1].startswith(f"skipped update {bad_last}: cannot be parsed")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_repeated_update_id_runs_once(bot: LiveBot, tmp_path: Path) -> None:
    write_article(tmp_path / "articles", "a.md", url=URL, title="Robots read", heat=50)
    await bot.run_publishing()  # stored, too cold to be selected
    publish = raw_message(ADMIN, f"/publish {URL} force", 7)
    publish["update_id"] = 500
    bot.fake.push_raw_updates(publish, publish)
    await bot.fake.wait_for_async(lambda f: f.sent(CHANNEL_ID), what="the channel post")
    await bot.settle()
    assert len(bot.replies(ADMIN)) == 1
    assert len(await bot.deliveries(CHANNEL_ID)) == 1


async def test_a_button_no_handler_knows_is_answered(bot: LiveBot) -> None:
    await bot.ask(USER, USER, "/topics")
    (menu,) = bot.replies(USER)
    query = callback_query_update(USER, USER, menu.result["message_id"], "v1:old-button")
    bot.fake.push_update(query)
    query_id = query["callback_query"]["id"]
    answered = await bot.fake.wait_for_async(
        lambda f: f.answered_callback_queries.get(query_id), what="the answer to the press"
    )
    assert answered["text"] == "This button is no longer valid."


async def test_editing_a_vanished_message_is_one_log_line(
    bot: LiveBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await bot.ask(USER, USER, "/topics")
    (menu,) = bot.replies(USER)
    # The user deleted the list before the edit arrived: Telegram's answer to the edit.
    bot.fake.fail(
        "editMessageText", USER, status=400, description="Bad Request: message to edit not found"
    )
    query = callback_query_update(USER, USER, menu.result["message_id"], "p:0")
    bot.fake.push_update(query)
    await bot.fake.wait_for_async(lambda f: f.calls_of("editMessageText"), what="the edit")
    await bot.settle()
    logged = [r for r in caplog.records if "is gone; not edited" in r.getMessage()]
    assert len(logged) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    # live_bot's exit asserts that no handler raised


async def test_a_flooding_chat_waits_in_its_own_lane(
    strict_fake: FakeTelegram, tmp_path: Path
) -> None:
    async with live_bot(strict_fake, bot_config(tmp_path, strict_fake)) as bot:
        flood = [raw_message(USER, "/help", n) for n in range(1, 13)]
        strict_fake.push_raw_updates(*flood)
        await strict_fake.wait_for_async(lambda f: f.sent(USER), what="the first answer")
        asked = time.monotonic()
        await bot.ask(QUIET, QUIET, "/help")
        quiet_latency = time.monotonic() - asked
        await strict_fake.wait_for_async(
            lambda f: len(f.sent(USER)) == len(flood), timeout=20, what="every flood answer"
        )
    answers = strict_fake.sent(USER)
    assert quiet_latency < 1.0, quiet_latency
    assert strict_fake.count_429 == 0  # paced ahead of Telegram's limit, not by 429s
    # Three at once (a burst Telegram tolerates), then about one a second.
    spread = answers[-1].time - answers[2].time
    assert spread >= (len(flood) - 4) * 0.9, spread
