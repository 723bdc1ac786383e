"""End to end: answers stay within Telegram's lengths however long what the user typed (or a
topic's name) is, and a command naming too many topics is refused in words. The real
Application against the fake, which refuses what Telegram refuses."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.fake_telegram import callback_query_update
from tests.fake_telegram.html_entities import utf16_len
from tests.fake_telegram.server import FakeTelegram
from tests.live_bot import LiveBot, bot_config, fake_with, live_bot

USER = 1001
ROBOTS = "Robots " + "🤖" * 100  # 207 UTF-16 units in 107 characters
LONG_TOPICS = [f"{'Long topic name ' * 30}{n}" for n in range(40)]
TOPICS = ["AI", "Computer Vision", *LONG_TOPICS]


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with fake_with(USER) as running:
        yield running


@pytest.fixture
async def bot(fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[LiveBot]:
    config = bot_config(tmp_path, fake, topics=TOPICS)
    async with live_bot(fake, config) as running:
        yield running


async def answers(bot: LiveBot, *commands: str) -> list[str]:
    """The bot's accepted answers to `commands`, sent in order in one chat. The answer to a
    final /help shows that every earlier command was handled (a chat's updates keep their
    order), whether its answer was accepted or not."""
    before = len(bot.replies(USER))
    for command in (*commands, "/help"):
        bot.say(USER, USER, command)
    await bot.fake.wait_for_async(
        lambda f: any((c.text or "").startswith("Commands") for c in bot.replies(USER)[before:]),
        what="the answer to /help",
    )
    texts = [call.text or "" for call in bot.replies(USER)[before:]]
    assert texts[-1].startswith("Commands")
    return texts[:-1]


@pytest.mark.parametrize("name", ["x" * 4089, "<" * 4089, "🤖" * 2044, "a, " * 5 + "b" * 4074])
async def test_a_4096_character_topic_command_gets_an_answer(bot: LiveBot, name: str) -> None:
    command = f"/topic {name}"
    assert utf16_len(command) <= 4096
    (answer,) = await answers(bot, command)
    assert "matches none of the topics" in answer or "Now following" in answer
    assert utf16_len(answer) < 1000  # the name is quoted back shortened, not in full
    refused = [c for c in bot.fake.calls_of("sendMessage") if not c.ok]
    assert refused == []


async def test_more_than_twenty_names_are_refused_in_words(bot: LiveBot) -> None:
    (answer,) = await answers(bot, "/topic " + ", ".join(["ai"] * 5 + ["vision"] * 16))
    assert "That is 21 names; /topic takes at most 20 at a time. Nothing changed" in answer
    assert await bot.followed(USER) == set()
    (answer,) = await answers(bot, "/topic " + ", ".join(["ai"] * 20))
    assert "Now following AI" in answer
    (answer,) = await answers(bot, "/untopic " + ", ".join(["ai"] * 21))
    assert "/untopic takes at most 20" in answer
    assert await bot.followed(USER) == {"AI"}


async def test_lists_of_long_topic_names_fit_one_message(bot: LiveBot) -> None:
    follow, listing, ambiguous = await answers(bot, "/topic long", "/mytopics", "/untopic long")
    assert "fits several" in follow  # 40 names of 500 characters each, quoted shortened
    assert "This chat follows no topics yet" in listing
    (follow,) = await answers(bot, "/topic " + ", ".join(f"{LONG_TOPICS[n]}" for n in range(8)))
    assert follow.startswith("✅ Now following")
    (listing,) = await answers(bot, "/mytopics")
    assert "This chat follows 8 topics" in listing
    assert all(utf16_len(text) <= 4096 for text in (follow, listing, ambiguous))


async def test_a_button_answer_naming_a_long_topic_is_accepted(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    async with live_bot(fake, bot_config(tmp_path, fake, topics=["AI", ROBOTS])) as bot:
        await answers(bot, "/topics")
        (message,) = [m for m in fake.messages(USER) if m.from_bot and m.reply_markup]
        assert message.reply_markup is not None
        buttons = [b for row in message.reply_markup["inline_keyboard"] for b in row]
        (robots,) = [b for b in buttons if "🤖" in b["text"]]
        fake.push_update(
            callback_query_update(
                USER, USER, message.message_id, robots["callback_data"], query_id="q1"
            )
        )
        await fake.wait_for_async(lambda f: "q1" in f.answered_callback_queries)
        answer = fake.answered_callback_queries["q1"]["text"] or ""
        assert answer.startswith("Following Robots 🤖") and answer.endswith("…")
        assert utf16_len(answer) <= 200
        assert await bot.followed(USER) == {ROBOTS}
