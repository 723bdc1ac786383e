"""What the bot says to a message no command took: a mistyped command in a private chat (with
the nearest command), a command addressed to the bot by name in a group, plain text in a
private chat; and the silence it keeps where the message is not for it."""

from __future__ import annotations

import pytest

from bot.handlers.commands import commands_for
from bot.handlers.unknown import named_topic, nearest_command
from storage.records import TopicSummary
from tests.commands.rig import (
    GROUP,
    OTHER,
    TOPICS,
    USER,
)
from tests.fake_telegram import BOT_USERNAME
from tests.live_bot import ADMIN, LiveBot

EVERYONE = [c.name for c in commands_for(admin=False)]
ADMINS = [c.name for c in commands_for(admin=True)]


@pytest.mark.parametrize(
    ("typed", "names", "meant"),
    [
        ("topci", EVERYONE, "topic"),
        ("TOPICS", EVERYONE, "topics"),
        ("untopik", EVERYONE, "untopic"),
        ("setings", EVERYONE, "settings"),
        ("lang", EVERYONE, None),  # too short a part of "language" to be sure
        ("foo", EVERYONE, None),
        ("publsh", EVERYONE, None),  # an admin command is not offered to everyone
        ("publsh", ADMINS, "publish"),
    ],
)
def test_nearest_command(typed: str, names: list[str], meant: str | None) -> None:
    assert nearest_command(typed, names) == meant


async def test_a_mistyped_command_in_private_is_answered_with_the_nearest(bot: LiveBot) -> None:
    answer = await bot.ask(USER, USER, "/topci computer vision")
    assert answer == (
        "I don't know the command /topci. Did you mean /topic? /help lists every command."
    )
    assert await bot.followed(USER) == set()
    assert await bot.chat(USER) is None  # not a command: nothing about the chat is stored


async def test_an_unknown_command_is_answered_in_the_users_language(bot: LiveBot) -> None:
    answer = await bot.ask(USER, USER, "/foo", language_code="ru")
    assert answer == "Не знаю команды /foo. /help — все команды."


async def test_an_admin_is_offered_admin_commands(bot: LiveBot) -> None:
    assert "Did you mean /publish?" in await bot.ask(ADMIN, ADMIN, "/publsh https://x.test/a")


async def test_plain_text_in_private_says_where_to_start(bot: LiveBot) -> None:
    answer = await bot.ask(USER, USER, "hello?", language_code="zh-hans")
    assert answer == "我只回应命令：/topics 选择话题，/help 查看全部命令。"


async def test_plain_text_naming_a_topic_says_how_to_follow_it(bot: LiveBot) -> None:
    answer = await bot.ask(USER, USER, "  robotics ")
    assert answer == "Robotics is a topic: /topic Robotics follows it, /topics lists them all."
    assert await bot.followed(USER) == set()  # only told how: plain text changes nothing
    await bot.ask(USER, USER, "/topic nlp")
    answer = await bot.ask(USER, USER, "#NaturalLanguageProcessing")
    assert answer == (
        "This chat follows Natural Language Processing: "
        "/untopic Natural Language Processing stops it."
    )
    answer = await bot.ask(USER, USER, "mach")  # two topics fit
    assert answer.startswith("I answer commands")


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("ai", ("follow", "AI")),  # short, but the name itself
        ("AI ", ("follow", "AI")),
        ("ro", None),  # the start of Robotics, but more likely a word
        ("robo", ("follow", "Robotics")),
        ("nlp", ("followed", "Natural Language Processing")),  # initials: an exact key
        ("mach", None),  # Machine Learning or Machine Vision
    ],
)
def test_named_topic(text: str, named: tuple[str, str] | None) -> None:
    topics = [TopicSummary(i, name, 1) for i, name in enumerate(TOPICS)]
    nlp = TOPICS.index("Natural Language Processing")
    assert named_topic(text.strip(), topics, {nlp}) == named


async def test_plain_text_is_answered_once_a_minute_but_a_topic_name_always(bot: LiveBot) -> None:
    answer = await bot.ask(USER, USER, "I like robotics and machine learning a lot, any tips?")
    assert answer.startswith("I answer commands")
    bot.say(USER, USER, "hello?")
    bot.say(USER, USER, "are you there?")
    assert (await bot.ask(USER, USER, "robotics")).startswith("Robotics is a topic")
    assert len(bot.replies(USER)) == 2
    assert (await bot.ask(OTHER, OTHER, "hello?")).startswith("I answer commands")


async def test_in_a_group_only_a_command_addressed_to_the_bot_is_answered(bot: LiveBot) -> None:
    bot.say(GROUP, USER, "/foo")  # perhaps another bot's
    bot.say(GROUP, USER, "/foo@other_bot")
    bot.say(GROUP, USER, "hello everyone")
    bot.say(USER, USER, "/foo@other_bot")  # not for this bot, even in private
    await bot.settle()
    assert bot.replies(GROUP) == [] and bot.replies(USER) == []
    answer = await bot.ask(GROUP, USER, f"/foo@{BOT_USERNAME.upper()}")
    assert answer.startswith("I don't know the command /foo.")


async def test_known_commands_edits_and_forwards_are_not_answered_as_unknown(
    bot: LiveBot,
) -> None:
    assert (await bot.ask(USER, USER, "/help")).startswith("Commands")
    bot.say(USER, USER, "/foo", message_id=50, edited=True)  # what was 50 is now a command
    bot.say(USER, USER, "/foo", forward_from=ADMIN)
    bot.say(USER, USER, "some words", message_id=51, edited=True)
    await bot.settle()
    assert len(bot.replies(USER)) == 1
