"""End to end: the real Application against the fake Bot API, driven by updates pushed through
getUpdates — commands, button presses and my_chat_member — with the delivery worker running.

The fake here does not enforce flood limits: these tests are about what the bot answers, and a
user typing five commands in a second would only make them wait. The worker still paces its
own sends (1 s per private chat, 3 s per group or channel)."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from storage.records import DeliveryStatus
from storage.state_keys import PAUSED_KEY
from tests.article_factory import write_article
from tests.bot_process import CHANNEL_ID
from tests.conftest import on_both_databases
from tests.fake_telegram import BOT_USERNAME, Upload, callback_query_update, message_update
from tests.fake_telegram.server import FakeTelegram
from tests.fake_telegram.updates import chat as chat_dict
from tests.fake_telegram.updates import user as user_dict
from tests.live_bot import ADMIN, LiveBot, add_channel, bot_config, live_bot

USER, OTHER, NEWCOMER = 1001, 1002, 1003
GROUP = -2001
ANONYMOUS_ADMIN_BOT = 1087968824  # Telegram's GroupAnonymousBot
TOPICS = [
    "AI",
    "Natural Language Processing",
    "Computer Vision",
    "Machine Learning",
    "Machine Vision",
    "Robotics",
    "AI in Healthcare",
    "TensorFlow",
    "Power Apps",
    "AI Ethics",
]
URL = "https://example.com/news/robots-read"
IMAGE = "https://img.example.com/robots.jpg"


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram(enforce_rate_limits=False) as running:
        add_channel(running)
        for user_id in (ADMIN, USER, OTHER, NEWCOMER):
            running.add_chat(user_id)
        running.add_chat(GROUP, "group", title="Readers", admins=(USER,))
        yield running
    assert running.internal_errors == []


@pytest.fixture
async def bot(fake: FakeTelegram, tmp_path: Path, bot_database_url: str) -> AsyncIterator[LiveBot]:
    config = bot_config(tmp_path, fake, topics=TOPICS, database={"url": bot_database_url})
    async with live_bot(fake, config) as running:
        yield running


def articles(tmp_path: Path) -> Path:
    return tmp_path / "articles"


def write(tmp_path: Path, name: str, **fields: Any) -> None:
    fields.setdefault("image", IMAGE)
    write_article(articles(tmp_path), name, **fields)


def my_chat_member(chat_id: int, status: str, chat_type: str = "private") -> dict[str, Any]:
    bot_user = {
        "id": 123456,
        "is_bot": True,
        "first_name": "Feedbot Test",
        "username": BOT_USERNAME,
    }
    new: dict[str, Any] = {"status": status, "user": bot_user}
    if status == "kicked":
        new["until_date"] = 0
    return {
        "my_chat_member": {
            "chat": chat_dict(chat_id, chat_type),
            "from": user_dict(chat_id if chat_id > 0 else USER),
            "date": int(time.time()),
            "old_chat_member": {"status": "member", "user": bot_user},
            "new_chat_member": new,
        }
    }


def names(commands: list[dict[str, str]]) -> list[str]:
    return [c["command"] for c in commands]


# -- menus, /start, /help -----------------------------------------------------------------------


async def test_menus_are_set_at_start_and_an_unknown_admin_is_logged(
    fake: FakeTelegram, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = bot_config(tmp_path, fake, telegram={"admins": [ADMIN, 4242]})
    async with live_bot(fake, config) as running:
        assert "/topic" in await running.ask(USER, USER, "/start")
        await running.ask(4242, 4242, "/start")  # now Telegram knows the chat: the menu is set
    user_menu = [
        *["start", "help", "topics", "topic", "untopic", "mytopics", "heat", "settings"],
        *["filter", "digest", "timezone", "language", "stop"],
    ]
    assert names(fake.commands()) == user_menu
    admin_scope = {"type": "chat", "chat_id": ADMIN}
    admin_menu = [*user_menu, "publish", "preview", "stats", "pause", "resume"]
    assert names(fake.commands(admin_scope)) == admin_menu
    assert "could not set the admin menu for user 4242" in caplog.text  # never wrote to the bot
    assert names(fake.commands({"type": "chat", "chat_id": 4242})) == admin_menu
    assert fake.commands({"type": "chat", "chat_id": USER}) == []


async def test_start_and_help(bot: LiveBot) -> None:
    welcome = await bot.ask(USER, USER, "/start")
    assert "/topic computer vision" in welcome and "/help" in welcome
    user_help = await bot.ask(USER, USER, "/help")
    for command in ("/start", "/topics", "/topic", "/untopic", "/mytopics", "/heat", "/language"):
        assert command in user_help
    assert "/publish" not in user_help
    admin_help = await bot.ask(ADMIN, ADMIN, "/help")
    for command in ("/publish", "/preview", "/stats", "/pause", "/resume"):
        assert command in admin_help


async def test_an_answer_waits_out_a_short_flood_limit_and_drops_a_long_one(
    bot: LiveBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot.fake.rate_limit(USER, retry_after=1)
    assert "/help" in await bot.ask(USER, USER, "/start")
    assert [c.error_code for c in bot.fake.calls_of("sendMessage")] == [429, None]
    bot.fake.rate_limit(USER, retry_after=60)
    bot.say(USER, USER, "/help")
    await bot.settle()
    assert "reply to chat 1001 dropped: flood limit (60 s)" in caplog.text
    assert len(bot.replies(USER)) == 1


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


# -- who may change what ------------------------------------------------------------------------


async def test_in_a_group_only_admins_change_what_it_follows(bot: LiveBot) -> None:
    fake = bot.fake
    refusal = await bot.ask(GROUP, OTHER, "/topic ai")
    assert "Only this group's admins" in refusal
    assert await bot.followed(GROUP) == set()

    assert "Now following AI" in await bot.ask(GROUP, USER, f"/topic@{BOT_USERNAME} ai")
    assert await bot.followed(GROUP) == {"AI"}
    asked = len(fake.calls_of("getChatMember"))
    assert asked == 2
    assert "Stopped following AI" in await bot.ask(GROUP, USER, "/untopic ai")
    assert len(fake.calls_of("getChatMember")) == asked  # cached

    # an anonymous admin posts as the group itself
    anonymous = message_update(GROUP, ANONYMOUS_ADMIN_BOT, "/topic nlp", chat_type="group")
    anonymous["message"]["sender_chat"] = chat_dict(GROUP, "group")
    before = len(bot.replies(GROUP))
    fake.push_update(anonymous)
    await fake.wait_for_async(lambda f: len(bot.replies(GROUP)) > before)
    assert "Now following Natural Language Processing" in (bot.replies(GROUP)[-1].text or "")
    assert len(fake.calls_of("getChatMember")) == asked

    # a command for another bot is not ours
    bot.say(GROUP, USER, "/stop@some_other_bot")
    await bot.settle()
    assert await bot.followed(GROUP) == {"Natural Language Processing"}

    # a member may look at the list, not press it
    await bot.ask(GROUP, OTHER, "/topics")
    listing = [m for m in fake.messages(GROUP) if m.from_bot][-1]
    assert listing.reply_markup is not None
    data = listing.reply_markup["inline_keyboard"][0][0]["callback_data"]
    fake.push_update(
        callback_query_update(
            GROUP, OTHER, listing.message_id, data, chat_type="group", query_id="member-press"
        )
    )
    await fake.wait_for_async(lambda f: "member-press" in f.answered_callback_queries)
    answer = fake.answered_callback_queries["member-press"]
    assert "Only this group's admins" in answer["text"] and answer["show_alert"]
    assert await bot.followed(GROUP) == {"Natural Language Processing"}


async def test_admin_commands_are_refused_to_everyone_else(
    bot: LiveBot, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(tmp_path, "a.md", url=URL, heat=50)
    await bot.run_publishing()
    caplog.set_level(logging.WARNING)
    for command in (f"/publish {URL}", f"/preview {URL}", "/stats", "/pause", "/resume"):
        assert "only for the admins" in await bot.ask(USER, USER, command)
    assert "refused /publish from user 1001" in caplog.text
    # the group's admin is not the bot's admin, nor is an anonymous admin of a group
    assert "only for the admins" in await bot.ask(GROUP, USER, "/pause")
    anonymous = message_update(GROUP, ANONYMOUS_ADMIN_BOT, "/pause", chat_type="group")
    anonymous["message"]["sender_chat"] = chat_dict(GROUP, "group")
    before = len(bot.replies(GROUP))
    bot.fake.push_update(anonymous)
    await bot.fake.wait_for_async(lambda f: len(bot.replies(GROUP)) > before)
    assert "only for the admins" in (bot.replies(GROUP)[-1].text or "")
    async with bot.svc.uow() as tx:
        assert await tx.state.get(PAUSED_KEY) is None
    assert await bot.deliveries(CHANNEL_ID) == []
    assert bot.posts(USER) == []


async def test_edited_or_forwarded_publish_does_not_publish(bot: LiveBot, tmp_path: Path) -> None:
    write(tmp_path, "a.md", url=URL, heat=50)
    await bot.run_publishing()
    # a command the admin forwards is someone else's words, not the admin's command
    bot.say(ADMIN, ADMIN, f"/publish {URL}", forward_from=OTHER, message_id=40)
    await bot.settle()
    assert bot.replies(ADMIN) == [] and await bot.deliveries(CHANNEL_ID) == []

    answer = await bot.ask(ADMIN, ADMIN, f"/publish {URL}", message_id=50)
    assert "queued for the channel" in answer
    await bot.fake.wait_for_async(lambda f: len(bot.posts(CHANNEL_ID)) == 1)

    bot.say(ADMIN, ADMIN, f"/publish {URL} force", message_id=50, edited=True)
    await bot.settle()
    assert len(bot.replies(ADMIN)) == 1  # the edit was not answered, nor run
    (delivery,) = await bot.deliveries(CHANNEL_ID)
    assert delivery.attempts == 1


# -- admin commands -------------------------------------------------------------------------------


@on_both_databases
async def test_publish_unknown_then_now_then_already_then_force(
    bot: LiveBot, tmp_path: Path
) -> None:
    await bot.ask(USER, USER, "/topic ai")
    write(tmp_path, "a.md", url=URL, title="Robots read", heat=50)  # too cold to be selected
    await bot.run_publishing()
    assert await bot.deliveries(CHANNEL_ID) == []

    unknown = await bot.ask(ADMIN, ADMIN, "/publish https://example.com/nope")
    assert "No stored article has the address" in unknown
    answer = await bot.ask(ADMIN, ADMIN, f"/publish {URL}?utm_source=newsletter")
    assert "Robots read: queued for the channel, and for 1 subscriber chat." in answer
    await bot.fake.wait_for_async(
        lambda f: len(bot.posts(CHANNEL_ID)) == 1 and len(bot.posts(USER)) == 1
    )

    async def channel_sent() -> bool:
        rows = await bot.deliveries(CHANNEL_ID)
        return [d.status for d in rows] == [DeliveryStatus.SENT]

    await bot.until(channel_sent, "the channel post recorded as sent")
    already = await bot.ask(ADMIN, ADMIN, f"/publish {URL}")
    assert "was posted to the channel on" in already and "UTC" in already
    assert f"/publish {URL} force" in already

    forced = await bot.ask(ADMIN, ADMIN, f"/publish {URL} force")
    assert "queued for the channel again, and for 0 subscriber chats." in forced
    await bot.fake.wait_for_async(lambda f: len(bot.posts(CHANNEL_ID)) == 2, timeout=15)
    assert len(bot.posts(USER)) == 1  # a subscriber never gets it twice


async def test_preview_goes_to_the_admin_only(bot: LiveBot, tmp_path: Path) -> None:
    write(tmp_path, "a.md", url=URL, title="Robots & readers", heat=50)
    await bot.run_publishing()
    note = await bot.ask(ADMIN, ADMIN, f"/preview {URL}")
    assert note == "Preview above; nothing was posted."
    (post,) = bot.posts(ADMIN)
    assert post.params["photo"] == IMAGE
    assert post.text is not None and post.text.startswith("Robots & readers")
    assert post.params["reply_markup"]["inline_keyboard"][0][0]["url"] == URL
    assert bot.fake.sent(CHANNEL_ID) == []
    async with bot.svc.uow() as tx:
        assert sum((await tx.stats.delivery_counts()).values()) == 0
    assert "No stored article" in await bot.ask(ADMIN, ADMIN, "/preview https://example.com/x")


async def test_pause_holds_scheduled_runs_but_not_publish(bot: LiveBot, tmp_path: Path) -> None:
    assert "paused" in await bot.ask(ADMIN, ADMIN, "/pause")
    assert "already paused" in await bot.ask(ADMIN, ADMIN, "/pause")
    write(tmp_path, "hot.md", url="https://example.com/hot", title="Hot", heat=150)
    write(tmp_path, "cold.md", url=URL, title="Cold", heat=50)
    await bot.run_publishing()
    assert await bot.deliveries(CHANNEL_ID) == []  # nothing selected while paused ...

    # ... but the run ingested, so a manual /publish finds what arrived meanwhile
    assert "queued for the channel" in await bot.ask(ADMIN, ADMIN, f"/publish {URL}")
    await bot.fake.wait_for_async(lambda f: len(bot.posts(CHANNEL_ID)) == 1)
    assert "on again" in await bot.ask(ADMIN, ADMIN, "/resume")
    assert "was not paused" in await bot.ask(ADMIN, ADMIN, "/resume")
    await bot.run_publishing()
    await bot.fake.wait_for_async(lambda f: len(bot.posts(CHANNEL_ID)) == 2, timeout=15)
    assert [(p.text or "").split("\n")[0] for p in bot.posts(CHANNEL_ID)] == ["Cold", "Hot"]


@on_both_databases
async def test_stats(bot: LiveBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.handlers.stats.posts_per_day_png", lambda *args: None)
    await bot.ask(USER, USER, "/topic ai, nlp")
    await bot.ask(OTHER, OTHER, "/topic ai")
    write(tmp_path, "a.md", url=URL, heat=150, topics=("Robotics",))
    (articles(tmp_path) / "junk.md").write_bytes(b"\xff\xfe\x00 junk")
    await bot.run_publishing()
    text = await bot.ask(ADMIN, ADMIN, "/stats")
    assert "scheduled publishing on" in text
    assert "Articles: 1 stored · 0 eligible now · " in text
    assert "Last ingest: 1 new, 0 updated, 0 unchanged files" in text
    assert "Files skipped at the last ingest (1):\n• junk.md: not UTF-8" in text
    assert "Chats: 3 active · 0 inactive" in text
    assert "Subscribers per topic:\n• AI: 2\n• Natural Language Processing: 1" in text
    assert "Deliveries: " in text and "Last run: " in text and "min ago" in text
    assert bot.posts(ADMIN) == []  # without the chart extra: the text only


async def test_stats_chart(bot: LiveBot) -> None:
    pytest.importorskip("matplotlib")
    await bot.ask(ADMIN, ADMIN, "/stats")
    await bot.fake.wait_for_async(lambda f: len(bot.posts(ADMIN)) == 1, timeout=30)
    (chart,) = bot.posts(ADMIN)
    assert isinstance(chart.params["photo"], Upload) and chart.params["photo"].size > 1000
    assert chart.text == "Channel posts per day (UTC), last 14 days"


# -- fan-out ------------------------------------------------------------------------------------


@on_both_databases
async def test_fan_out_once_per_chat_stops_on_unsubscribe_and_never_replays(
    bot: LiveBot, tmp_path: Path
) -> None:
    await bot.ask(USER, USER, "/topic ai, nlp")  # both topics of the first article
    await bot.ask(OTHER, OTHER, "/topic #AI")
    write(
        tmp_path,
        "first.md",
        url="https://example.com/first",
        title="First",
        heat=150,
        topics=("AI", "Natural Language Processing"),
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
        url="https://example.com/second",
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
