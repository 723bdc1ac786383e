"""End to end: following topics (/topic name matching, the topic buttons, /untopic, /mytopics,
/heat, /stop, deep links, a group adding and removing the bot) and the fan-out to the chats that
follow them. The rig: tests/commands/conftest.py and rig.py."""

from __future__ import annotations

from pathlib import Path

from tests.bot_process import CHANNEL_ID
from tests.commands.rig import (
    GROUP,
    NEWCOMER,
    OTHER,
    TOPICS,
    USER,
    my_chat_member,
    write,
)
from tests.conftest import on_both_databases
from tests.fake_telegram import BOT_USERNAME, callback_query_update
from tests.live_bot import LiveBot

# -- following topics ---------------------------------------------------------------------------

MATCHING = [
    ("/topic #ComputerVision", "Now following Computer Vision", {"Computer Vision"}),
    ("/topic computer vision", "Now following Computer Vision", {"Computer Vision"}),
    ("/topic COMPUTERVISION", "Now following Computer Vision", {"Computer Vision"}),
    ("/topic nlp", "Now following Natural Language Processing", {"Natural Language Processing"}),
    ("/topic robo", "Now following Robotics", {"Robotics"}),
    ("/topic tensor", "Now following TensorFlow", {"TensorFlow"}),
    ("/topic mach", "“mach” fits several: Machine Learning, Machine Vision", set()),
    ("/topic compter vison", "Did you mean Computer Vision?", set()),
    ("/topic quantum", "“quantum” matches none of the topics", set()),
    ("/topic ai, nlp", "Now following AI, Natural Language Processing", {"AI", "NLP"}),
    ("/topic@feedbot_test_bot #AI #Robotics", "Now following AI, Robotics", {"AI", "Robotics"}),
]


async def test_topic_name_matching(bot: LiveBot) -> None:
    for number, (command, answer, followed) in enumerate(MATCHING):
        chat_id = 5000 + number  # a fresh private chat per row
        assert answer in await bot.ask(chat_id, chat_id, command), command
        expected = {"Natural Language Processing" if n == "NLP" else n for n in followed}
        assert await bot.followed(chat_id) == expected, command
    async with bot.svc.uow() as tx:  # nothing typed ever creates a topic
        assert len(await tx.topics.topic_summaries()) == len(TOPICS)


@on_both_databases
async def test_topic_buttons_toggle_in_place_and_paginate(bot: LiveBot) -> None:
    fake = bot.fake
    listing = await bot.ask(USER, USER, "/topics")
    assert "Page 1 of 2" in listing
    (message,) = [m for m in fake.messages(USER) if m.from_bot]
    keyboard = message.reply_markup
    assert keyboard is not None
    first = keyboard["inline_keyboard"][0][0]
    assert first["text"] == "AI · 0"
    edits = len(fake.calls_of("editMessageText"))

    async def press(data: str, query_id: str) -> str:
        fake.push_update(
            callback_query_update(USER, USER, message.message_id, data, query_id=query_id)
        )
        await fake.wait_for_async(
            lambda f: (
                query_id in f.answered_callback_queries
                and len(f.calls_of("editMessageText")) > edits
            )
        )
        return fake.answered_callback_queries[query_id]["text"] or ""

    assert await press(first["callback_data"], "q1") == "Following AI"
    edits += 1
    (shown,) = [m for m in fake.messages(USER) if m.from_bot]
    assert shown.message_id == message.message_id  # edited in place
    assert shown.reply_markup is not None
    assert shown.reply_markup["inline_keyboard"][0][0]["text"] == "✅ AI · 0"
    assert await bot.followed(USER) == {"AI"}

    await press("p:1", "q2")
    edits += 1
    (shown,) = [m for m in fake.messages(USER) if m.from_bot]
    assert "Page 2 of 2" in shown.text
    assert shown.reply_markup is not None
    assert shown.reply_markup["inline_keyboard"][-1] == [
        {"text": "« Previous", "callback_data": "p:0"}
    ]

    assert await press(first["callback_data"], "q3") == "Stopped following AI"
    assert await bot.followed(USER) == set()


@on_both_databases
async def test_untopic_mytopics_heat_and_stop(bot: LiveBot) -> None:
    await bot.ask(USER, USER, "/topic ai, robotics")
    mine = await bot.ask(USER, USER, "/mytopics")
    assert "follows 2 topics" in mine
    assert f"https://t.me/{BOT_USERNAME}?start=ai" in mine
    assert "Stopped following AI" in await bot.ask(USER, USER, "/untopic #ai")
    assert await bot.followed(USER) == {"Robotics"}

    assert "heat ≥ 100 (the bot's minimum)" in await bot.ask(USER, USER, "/heat")
    assert "heat ≥ 180" in await bot.ask(USER, USER, "/heat 180")
    assert "cannot go below the bot's minimum (100)" in await bot.ask(USER, USER, "/heat 20")
    assert "whole number" in await bot.ask(USER, USER, "/heat lots")
    assert "whole number" in await bot.ask(USER, USER, "/heat 99999999999")

    assert "pause for a week" in await bot.ask(USER, USER, "/stop")
    assert await bot.followed(USER) == {"Robotics"}  # nothing happens before a button is pressed
    (question,) = [m for m in bot.fake.messages(USER) if m.from_bot][-1:]
    assert question.reply_markup is not None
    labels = [b["text"] for b in question.reply_markup["inline_keyboard"][0]]
    assert labels == ["🛑 Unfollow everything", "⏸ Pause for a week"]
    bot.fake.push_update(
        callback_query_update(USER, USER, question.message_id, "st:all", query_id="stop1")
    )
    await bot.fake.wait_for_async(
        lambda f: any("follows nothing now (1 topic dropped)" in m.text for m in f.messages(USER)),
        what="the /stop question edited into its answer",
    )
    chat = await bot.chat(USER)
    assert chat is not None and not chat.active and await bot.followed(USER) == set()
    await bot.ask(USER, USER, "/topic nlp")  # any command brings the chat back
    chat = await bot.chat(USER)
    assert chat is not None and chat.active


@on_both_databases
async def test_deep_link_subscribes_and_brings_a_blocked_user_back(bot: LiveBot) -> None:
    await bot.ask(USER, USER, "/start")
    bot.fake.push_update(my_chat_member(USER, "kicked"))  # then blocked the bot
    await bot.settle()
    chat = await bot.chat(USER)
    assert chat is not None and not chat.active

    answer = await bot.ask(USER, USER, "/start natural-language-processing")
    assert "Now following Natural Language Processing" in answer
    assert await bot.followed(USER) == {"Natural Language Processing"}
    chat = await bot.chat(USER)
    assert chat is not None and chat.active
    assert "don't know" in await bot.ask(USER, USER, "/start no-such-topic")


@on_both_databases
async def test_bot_removed_from_and_added_to_a_group(bot: LiveBot) -> None:
    bot.fake.push_update(my_chat_member(GROUP, "member", "group"))
    await bot.settle()
    chat = await bot.chat(GROUP)
    assert chat is not None and chat.active and chat.title == f"Chat {GROUP}"
    bot.fake.push_update(my_chat_member(GROUP, "left", "group"))
    await bot.settle()
    chat = await bot.chat(GROUP)
    assert chat is not None and not chat.active


# -- fan-out ------------------------------------------------------------------------------------


@on_both_databases
async def test_fan_out_once_per_chat_stops_on_unsubscribe_and_never_replays(
    bot: LiveBot, tmp_path: Path
) -> None:
    await bot.ask(USER, USER, "/topic ai, nlp")  # both topics of the first article
    await bot.ask(OTHER, OTHER, "/topic #AI")
    write(
        tmp_path, "first.md", title="First", heat=150, topics=("AI", "Natural Language Processing")
    )
    await bot.run_publishing()
    await bot.fake.wait_for_async(
        lambda f: [len(bot.posts(c)) for c in (CHANNEL_ID, USER, OTHER)] == [1, 1, 1]
    )
    post = bot.posts(USER)[0]
    assert post.text == bot.posts(CHANNEL_ID)[0].text  # the channel's post format
    assert post.text is not None and post.text.startswith("First")

    await bot.ask(USER, USER, "/untopic ai, natural language processing")
    await bot.ask(NEWCOMER, NEWCOMER, "/topic nlp")  # after the first article was selected
    write(
        tmp_path,
        "second.md",
        title="Second",
        heat=140,
        topics=("Natural Language Processing", "AI"),
    )
    await bot.run_publishing()
    await bot.fake.wait_for_async(
        lambda f: [len(bot.posts(c)) for c in (CHANNEL_ID, OTHER, NEWCOMER)] == [2, 2, 1],
        timeout=15,
    )
    assert bot.posts(NEWCOMER)[0].text is not None
    assert (bot.posts(NEWCOMER)[0].text or "").startswith("Second")
    async with bot.svc.uow() as tx:
        second = await tx.articles.article_by_url("https://example.com/second")
        assert second is not None
        assert await tx.outbox.delivery(second.id, USER) is None
    assert len(bot.posts(USER)) == 1
