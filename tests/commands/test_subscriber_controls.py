"""End to end (issue 13): forum threads, /settings, the unfollow button and its undo, /stop's
confirmation and pause, channels managed from a private chat, keyword filters: the real
Application against the fake Bot API, with the delivery worker running (the rig's `bot`, in
conftest.py, with this module's chats and topics)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.article_factory import write_article
from tests.bot_process import CHANNEL_ID
from tests.commands.rig import bot_messages, press
from tests.conftest import on_both_databases
from tests.fake_telegram.server import FakeTelegram
from tests.live_bot import ADMIN, LiveBot, fake_with

USER, OTHER = 1001, 1002
FORUM = -1_000_000_000_301
THREAD = 7
MANAGED = -1_000_000_000_777  # a channel USER administers
TOPICS = ["AI", "Robotics", "Computer Vision"]


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with fake_with(ADMIN, USER, OTHER) as running:
        running.add_chat(FORUM, "supergroup", title="Forum", admins=(USER,), is_forum=True)
        running.set_thread(FORUM, THREAD)
        running.add_chat(MANAGED, "channel", title="Mine", username="mychannel", admins=(USER,))
        yield running


@pytest.fixture
def topics() -> list[str]:
    return TOPICS


def write(tmp_path: Path, name: str, **fields: Any) -> None:
    """An article file; "a.md" is at https://example.com/a unless `url` says otherwise."""
    fields.setdefault("url", f"https://example.com/{name.removesuffix('.md')}")
    fields.setdefault("heat", 150)
    write_article(tmp_path / "articles", name, **fields)


def in_forum(bot: LiveBot, text: str, thread: int | None) -> int:
    return bot.say(FORUM, USER, text, chat_type="supergroup", thread_id=thread)


@on_both_databases
async def test_forum_threads_follow_their_own_topics_and_a_closed_thread_stops_alone(
    bot: LiveBot, tmp_path: Path
) -> None:
    fake = bot.fake
    in_forum(bot, "/topic ai", THREAD)
    in_forum(bot, "/topic robotics", None)  # the General thread: the group itself
    await bot.settle()
    answers = bot_messages(fake, FORUM)
    assert [m.thread_id for m in answers] == [THREAD, None]  # each answered where it was asked
    assert await bot.followed(FORUM) == {"Robotics"}

    write(tmp_path, "ai.md", title="AI news", topics=("AI",))
    write(tmp_path, "robots.md", url="https://example.com/r", title="Robots", topics=("Robotics",))
    await bot.run_publishing()
    await fake.wait_for_async(lambda f: len(bot.posts(FORUM)) == 2, what="two forum posts")
    threads = {c.params.get("message_thread_id"): c.text for c in bot.posts(FORUM)}
    assert set(threads) == {THREAD, None}
    assert "AI news" in (threads[THREAD] or "") and "Robots" in (threads[None] or "")

    fake.set_thread(FORUM, THREAD, "closed")
    write(tmp_path, "ai2.md", title="More AI", topics=("AI",))
    # not "More robots": a same-outlet title under a prefix is the same story (jobs.stories)
    write(tmp_path, "r2.md", title="Arms ship", topics=("Robotics",))
    await bot.run_publishing()
    await fake.wait_for_async(lambda f: len(bot.posts(FORUM)) == 3, what="the General post")
    await bot.until(lambda: _thread_inactive(bot), "the closed thread's subscriptions deactivated")
    chat = await bot.chat(FORUM)
    assert chat is not None and chat.active  # the group goes on
    stats = await bot.ask(ADMIN, ADMIN, "/stats")
    assert f"thread {THREAD}: TOPIC_CLOSED" in stats.replace("Topic_closed", "TOPIC_CLOSED")


async def _thread_inactive(bot: LiveBot) -> bool:
    async with bot.svc.uow() as tx:
        return not (await tx.settings.settings(FORUM, THREAD)).active


async def test_a_deleted_thread_is_told_apart_from_the_group(bot: LiveBot, tmp_path: Path) -> None:
    in_forum(bot, "/topic ai", THREAD)
    await bot.settle()
    bot.fake.set_thread(FORUM, THREAD, "deleted")
    write(tmp_path, "ai.md", topics=("AI",))
    await bot.run_publishing()
    await bot.until(lambda: _thread_inactive(bot), "the deleted thread deactivated")
    (delivery,) = [d for d in await bot.deliveries(FORUM)]
    assert delivery.thread_id == THREAD and delivery.status == "cancelled"
    chat = await bot.chat(FORUM)
    assert chat is not None and chat.active


async def test_settings_silent_compact_and_no_preview_reach_the_post(
    bot: LiveBot, tmp_path: Path
) -> None:
    fake = bot.fake
    await bot.ask(USER, USER, "/topic ai")
    menu = await bot.ask(USER, USER, "/settings")
    assert "Settings" in menu
    (message,) = [m for m in bot_messages(fake, USER) if m.reply_markup][-1:]
    labels = [row[0]["text"] for row in message.reply_markup["inline_keyboard"]]  # type: ignore[index]
    assert labels[:3] == [
        "▫️ Silent: posts arrive without a sound",
        "▫️ Compact: title and link only",
        "✅ Link preview",
    ]
    for data in ("cfg:sil", "cfg:cmp", "cfg:lp"):
        await press(bot, USER, USER, message.message_id, data)
    edited = next(m for m in bot_messages(fake, USER) if m.message_id == message.message_id)
    assert edited.reply_markup is not None
    labels = [row[0]["text"] for row in edited.reply_markup["inline_keyboard"]]
    assert labels[:3] == [
        "✅ Silent: posts arrive without a sound",
        "✅ Compact: title and link only",
        "▫️ Link preview",
    ]

    write(
        tmp_path,
        "a.md",
        title="Robots read",
        topics=("AI",),
        excerpt="A long excerpt that a compact post leaves out.",
    )
    await bot.run_publishing()
    await fake.wait_for_async(
        lambda f: any("Robots read" in (c.text or "") for c in bot.replies(USER)),
        what="the compact post",
    )
    (post,) = [c for c in bot.replies(USER) if "Robots read" in (c.text or "")]
    assert post.method == "sendMessage"  # compact: no photo
    assert "excerpt" not in (post.text or "")
    assert post.params.get("disable_notification") is True
    assert post.params["link_preview_options"].get("is_disabled") is True
    assert bot.posts(USER) == []


async def test_unfollow_button_under_a_private_post_and_its_undo(
    bot: LiveBot, tmp_path: Path
) -> None:
    fake = bot.fake
    await bot.ask(USER, USER, "/topic ai")
    write(tmp_path, "a.md", topics=("AI", "Robotics"))
    await bot.run_publishing()
    await fake.wait_for_async(lambda f: len(bot.posts(USER)) == 1, what="the post")
    (post,) = [m for m in bot_messages(fake, USER) if m.kind == "photo"]
    row = post.reply_markup["inline_keyboard"][0]  # type: ignore[index]
    assert [b["text"] for b in row] == ["Read", "🔕 Unfollow AI"]
    assert all(len(b.get("callback_data", "").encode()) <= 64 for b in row)

    answer = await press(bot, USER, USER, post.message_id, row[1]["callback_data"])
    assert "Stopped following AI" in answer
    assert await bot.followed(USER) == set()
    (shown,) = [m for m in bot_messages(fake, USER) if m.message_id == post.message_id]
    undo = shown.reply_markup["inline_keyboard"][0]  # type: ignore[index]
    assert [b["text"] for b in undo] == ["Read", "↩️ Follow AI again"]
    assert fake.calls_of("editMessageReplyMarkup")[-1].ok

    assert "Following AI again" in await press(
        bot, USER, USER, post.message_id, undo[1]["callback_data"]
    )
    assert await bot.followed(USER) == {"AI"}
    (shown,) = [m for m in bot_messages(fake, USER) if m.message_id == post.message_id]
    assert [b["text"] for b in shown.reply_markup["inline_keyboard"][0]] == [  # type: ignore[index]
        "Read",
        "🔕 Unfollow AI",
    ]


async def test_several_topics_offer_the_topic_list(bot: LiveBot, tmp_path: Path) -> None:
    await bot.ask(USER, USER, "/topic ai, robotics")
    write(tmp_path, "a.md", topics=("AI", "Robotics"))
    await bot.run_publishing()
    await bot.fake.wait_for_async(lambda f: len(bot.posts(USER)) == 1, what="the post")
    (post,) = [m for m in bot_messages(bot.fake, USER) if m.kind == "photo"]
    row = post.reply_markup["inline_keyboard"][0]  # type: ignore[index]
    assert row[1] == {"text": "🔕 Topics…", "callback_data": "ul"}
    before = len(bot.replies(USER))
    await press(bot, USER, USER, post.message_id, "ul")
    assert "<b>Topics</b>" not in (bot.replies(USER)[before].text or "")  # plain text seen
    assert "tap one to follow it" in (bot.replies(USER)[before].text or "")


async def test_stop_asks_and_a_pause_holds_posts_back(bot: LiveBot, tmp_path: Path) -> None:
    fake = bot.fake
    await bot.ask(USER, USER, "/topic ai")
    await bot.ask(USER, USER, "/stop")
    (question,) = bot_messages(fake, USER)[-1:]
    await press(bot, USER, USER, question.message_id, "st:pause")
    assert "Paused until" in bot_messages(fake, USER)[-1].text
    assert await bot.followed(USER) == {"AI"}
    write(tmp_path, "a.md", topics=("AI",))
    await bot.run_publishing()
    await fake.wait_for_async(lambda f: len(bot.posts(CHANNEL_ID)) == 1, what="the channel post")
    assert await bot.deliveries(USER) == []  # paused: nothing queued


async def pause(bot: LiveBot, chat_id: int, **thread: Any) -> None:
    await bot.ask(chat_id, USER, "/stop", **thread)
    question = bot_messages(bot.fake, chat_id)[-1]
    await press(bot, chat_id, USER, question.message_id, "st:pause")
    assert "Paused until" in bot_messages(bot.fake, chat_id)[-1].text


async def test_following_a_topic_or_start_ends_a_pause(bot: LiveBot) -> None:
    await bot.ask(USER, USER, "/topic ai")
    await pause(bot, USER)
    answer = await bot.ask(USER, USER, "/topic robotics")
    assert answer.endswith("The pause is over: posts come again.")
    await pause(bot, USER)
    assert "Posts are paused until" in await bot.ask(USER, USER, "/settings")
    assert (await bot.ask(USER, USER, "/start")).startswith("▶️ The pause is over")
    assert "paused" not in await bot.ask(USER, USER, "/settings")
    assert "pause" not in await bot.ask(USER, USER, "/start")  # said once: nothing to end now
    assert "pause" not in await bot.ask(USER, USER, "/topic ai")  # already followed, not paused
    await pause(bot, FORUM, thread_id=THREAD)
    assert "pause" not in await bot.ask(FORUM, USER, "/start", thread_id=THREAD)  # anyone's
    assert "pause is over" in await bot.ask(FORUM, USER, "/topic ai", thread_id=THREAD)


async def test_a_channel_is_managed_from_a_private_chat_by_its_admin_only(
    bot: LiveBot, tmp_path: Path
) -> None:
    fake = bot.fake
    assert "Now following AI" in await bot.ask(USER, USER, "/topic @mychannel ai")
    assert await bot.followed(MANAGED) == {"AI"} and await bot.followed(USER) == set()
    assert "follows 1 topic" in await bot.ask(USER, USER, "/mytopics @mychannel")
    refused = await bot.ask(OTHER, OTHER, "/topic @mychannel robotics")
    assert "you are not one" in refused and "can't post" not in refused
    assert await bot.followed(MANAGED) == {"AI"}

    write(tmp_path, "a.md", topics=("AI",))
    await bot.run_publishing()
    await fake.wait_for_async(lambda f: len(bot.posts(MANAGED)) == 1, what="the managed post")

    fake.set_bot_status(MANAGED, "no_post")
    refused = await bot.ask(USER, USER, "/untopic @mychannel ai")
    assert "I can't post in @mychannel" in refused
    assert "Two things are missing" in await bot.ask(OTHER, OTHER, "/settings @mychannel")
    assert "main channel" in await bot.ask(USER, USER, "/topic @my_ai_news ai")
    assert await bot.followed(MANAGED) == {"AI"}


async def test_filters_keep_and_drop_posts(bot: LiveBot, tmp_path: Path) -> None:
    await bot.ask(USER, USER, "/topic ai")
    await bot.ask(OTHER, OTHER, "/topic ai")
    listed = await bot.ask(USER, USER, '/filter +robots -"crypto coin"')
    assert "Keeps only posts mentioning one of: robots" in listed
    assert "Drops posts mentioning any of: crypto coin" in listed
    assert "starts with + or -" in await bot.ask(USER, USER, "/filter robots")
    write(tmp_path, "a.md", title="Robots learn", topics=("AI",))
    write(tmp_path, "b.md", title="Robots buy a crypto coin", topics=("AI",))
    write(tmp_path, "c.md", title="Models grow", topics=("AI",))
    await bot.run_publishing()
    await bot.fake.wait_for_async(lambda f: len(bot.posts(OTHER)) == 3, what="OTHER's posts")
    got = [d.article_id for d in await bot.deliveries(USER)]
    assert len(got) == 1  # only "Robots learn"
    assert "Filter cleared" in await bot.ask(USER, USER, "/filter clear")


async def test_settings_open_the_language_choice_and_buttons_follow_it(
    bot: LiveBot, tmp_path: Path
) -> None:
    """The 🌐 Language row turns the menu into /language's choice in place; once the chat chose
    Russian, /settings and the unfollow button under a post are in Russian (the post's own words
    stay telegram.language's)."""
    fake = bot.fake
    await bot.ask(USER, USER, "/topic ai")
    await bot.ask(USER, USER, "/settings")
    (menu,) = [m for m in bot_messages(fake, USER) if m.reply_markup][-1:]
    rows = menu.reply_markup["inline_keyboard"]  # type: ignore[index]
    assert rows[-1] == [{"text": "🌐 Language: English", "callback_data": "cfg:lang"}]
    await press(bot, USER, USER, menu.message_id, "cfg:lang")
    (shown,) = [m for m in bot_messages(fake, USER) if m.message_id == menu.message_id]
    assert shown.text.startswith("This chat's language: English")
    await press(bot, USER, USER, menu.message_id, "lang:ru")
    assert "Настройки" in await bot.ask(USER, USER, "/settings")
    write(tmp_path, "a.md", topics=("AI",))
    await bot.run_publishing()
    await fake.wait_for_async(lambda f: len(bot.posts(USER)) == 1, what="the post")
    (post,) = [m for m in bot_messages(fake, USER) if m.kind == "photo"]
    row = post.reply_markup["inline_keyboard"][0]  # type: ignore[index]
    assert [b["text"] for b in row] == ["Read", "🔕 Отписаться: AI"]
    answer = await press(bot, USER, USER, post.message_id, row[1]["callback_data"])
    assert "Вы больше не следите за темой AI" in answer


async def test_a_reply_the_chat_refuses_is_one_log_line(
    bot: LiveBot, caplog: pytest.LogCaptureFixture
) -> None:
    """A member writes in a closed forum thread (its admins can): the answer gets TOPIC_CLOSED.
    That is the chat's state, not the bot's failure: one line, no traceback, nothing else
    held up."""
    bot.fake.set_thread(FORUM, THREAD, "closed")
    bot.say(FORUM, USER, "/help", chat_type="supergroup", thread_id=THREAD)
    await bot.settle()
    assert f"reply to chat {FORUM} refused: topic_closed" in caplog.text.lower()
    assert bot.errors == []
    assert "Traceback" not in caplog.text
