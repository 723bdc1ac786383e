"""Defects a user or admin met in the field, found in a review (stop 12) and reproduced here
against the fake Bot API with the real Application; each failed until its fix and now guards
it: a group's move to a supergroup, a pause that can be ended, messages in the chat's language,
forum threads, channels managed from a private chat, one greeting."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.records import ChatKind, DeliveryStatus
from tests.bot_process import CHANNEL_ID
from tests.commands.rig import (
    GROUP,
    USER,
    bot_messages,
    my_chat_member,
    press,
    write,
)
from tests.conftest import Db
from tests.fake_telegram import BOT_USERNAME, callback_query_update
from tests.fake_telegram.updates import chat as chat_dict
from tests.fake_telegram.updates import user as user_dict
from tests.live_bot import LiveBot

SUPERGROUP = -1_000_000_002_001  # what GROUP becomes
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def migration_messages(old_id: int, new_id: int) -> list[dict[str, object]]:
    """The two service messages Telegram sends when a group becomes a supergroup: in the old
    group (migrate_to_chat_id) and in the new one (migrate_from_chat_id)."""
    now = int(time.time())
    return [
        {
            "message": {
                "date": now,
                "chat": chat_dict(old_id, "group"),
                "from": user_dict(USER),
                "migrate_to_chat_id": new_id,
            }
        },
        {
            "message": {
                "date": now,
                "chat": chat_dict(new_id, "supergroup"),
                "from": user_dict(USER),
                "migrate_from_chat_id": old_id,
            }
        },
    ]


async def test_a_group_that_became_a_supergroup_keeps_its_topics_at_once(bot: LiveBot) -> None:
    """An admin makes the group public, or turns on topics: Telegram moves it to a new
    supergroup id and says so in both chats. The next /mytopics there must not say it follows
    nothing (nor /settings show the defaults) until a post happens to fail."""
    assert "Now following AI" in await bot.ask(GROUP, USER, "/topic ai")
    bot.fake.migrate_chat(GROUP, SUPERGROUP)
    for update in migration_messages(GROUP, SUPERGROUP):
        bot.fake.push_update(update)
    await bot.settle()
    answer = await bot.ask(SUPERGROUP, USER, "/mytopics", chat_type="supergroup")
    assert "follows 1 topic" in answer, answer


async def test_start_after_a_pause_brings_the_posts_back(bot: LiveBot, tmp_path: Path) -> None:
    """A user taps "Pause for a week", changes their mind and sends /start (which the README
    says brings a chat back after a /stop) and /topic: both answer as if all were well, yet
    nothing is sent to them for seven days, and /settings does not say why."""
    await bot.ask(USER, USER, "/topic ai")
    await bot.ask(USER, USER, "/stop")
    question = bot_messages(bot.fake, USER)[-1]
    await press(bot, USER, USER, question.message_id, "st:pause")
    await bot.ask(USER, USER, "/start")
    assert "Now following Robotics" in await bot.ask(USER, USER, "/topic robotics")
    write(tmp_path, "a.md", topics=("AI",), heat=150)
    await bot.run_publishing()
    await bot.fake.wait_for_async(lambda f: len(bot.posts(CHANNEL_ID)) == 1, what="the post")
    assert len(await bot.deliveries(USER)) == 1  # /start ended the pause: the post is queued


@pytest.mark.parametrize(
    ("typed", "language_code", "english"),
    [
        ("/filter robots", "ru", "each term starts with + or -"),
        ('/filter +"robots', "zh-hans", "a quoted phrase needs its closing quote"),
    ],
)
async def test_a_filter_mistake_is_explained_in_the_users_language(
    bot: LiveBot, typed: str, language_code: str, english: str
) -> None:
    """Forgetting the + is the commonest /filter mistake; a Russian user is told so half in
    English: "Ничего не изменилось: each term starts with + or -. Например: …"."""
    answer = await bot.ask(USER, USER, typed, language_code=language_code)
    assert answer.startswith(("Ничего не изменилось", "未做更改"))  # the message is translated
    assert english not in answer, answer


async def test_the_undo_button_is_in_the_language_of_the_row_it_joins(
    bot: LiveBot, tmp_path: Path
) -> None:
    """A user whose app is in Russian and who chose no /language gets posts whose unfollow
    button speaks their app's language ("Read" is the post's own word, telegram.language's);
    one tap makes the row "Read | ↩️ Снова следить: AI", not a button in another language
    beside it (it was "🔕 Unfollow AI", then "↩️ Снова следить: AI")."""
    await bot.ask(USER, USER, "/topic ai", language_code="ru")
    write(tmp_path, "a.md", topics=("AI",), heat=150)
    await bot.run_publishing()
    await bot.fake.wait_for_async(lambda f: len(bot.posts(USER)) == 1, what="the post")
    (post,) = [m for m in bot_messages(bot.fake, USER) if m.kind == "photo"]
    row = post.reply_markup["inline_keyboard"][0]  # type: ignore[index]
    assert [b["text"] for b in row] == ["Read", "🔕 Отписаться: AI"]
    await press(bot, USER, USER, post.message_id, row[1]["callback_data"], language_code="ru")
    (shown,) = [m for m in bot_messages(bot.fake, USER) if m.message_id == post.message_id]
    swapped = shown.reply_markup["inline_keyboard"][0]  # type: ignore[index]
    assert [b["text"] for b in swapped] == ["Read", "↩️ Снова следить: AI"]


async def test_start_with_a_topic_in_a_forum_thread_follows_it_there(bot: LiveBot) -> None:
    """Every other way to follow a topic acts on the thread it is sent in (README, Forum
    threads); "/start ai" there answers "✅ Now following AI." and makes the whole group (its
    General thread) follow it instead, while the thread follows nothing."""
    forum, thread = -1_000_000_002_002, 7
    bot.fake.add_chat(forum, "supergroup", title="Forum", admins=(USER,), is_forum=True)
    bot.fake.set_thread(forum, thread)
    in_thread = {"chat_type": "supergroup", "thread_id": thread}
    assert "Now following AI" in await bot.ask(forum, USER, "/start ai", **in_thread)
    answer = await bot.ask(forum, USER, "/mytopics", **in_thread)
    assert "follows 1 topic" in answer, answer


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("/topic @mychannel", "Which topic?"),  # answered "Nothing changed."
        ("/untopic @mychannel", "Which topic?"),
        ("/digest @mychannel", "@mychannel"),  # "This chat gets each post as it comes."
        ("/filter @mychannel", "@mychannel"),  # "No keyword filter: every post …"
        ("/timezone @mychannel", "@mychannel"),  # "This chat's time zone is UTC; …"
    ],
)
async def test_answers_about_a_managed_channel_name_it(
    bot: LiveBot, typed: str, expected: str
) -> None:
    """An admin managing their channel from the private chat reads "This chat …" about the
    private chat they typed in (/mytopics and /settings name the channel), and /topic with the
    channel but no topic gets "Nothing changed." instead of how to write it."""
    bot.fake.add_chat(
        -1_000_000_002_777, "channel", title="Mine", username="mychannel", admins=(USER,)
    )
    answer = await bot.ask(USER, USER, typed)
    assert expected in answer, answer


async def test_a_group_added_with_the_add_to_a_group_link_is_greeted_once(bot: LiveBot) -> None:
    """The "Add to a group" button is t.me/<bot>?startgroup=start: Telegram's apps add the bot
    (my_chat_member) and then send "/start@<bot> start" in the group (TDLib's
    sendBotStartMessage). The group gets two hellos with the same buttons, one after the
    other; the README promises one."""
    group = -2_002
    bot.fake.add_chat(group, "group", title="New", admins=(USER,))
    joined = my_chat_member(group, "member", "group")
    joined["my_chat_member"]["old_chat_member"]["status"] = "left"
    bot.fake.push_update(joined)
    await bot.fake.wait_for_async(lambda f: bot_messages(bot.fake, group), what="the greeting")
    bot.say(group, USER, f"/start@{BOT_USERNAME} start", chat_type="group")
    await bot.settle()
    assert len(bot_messages(bot.fake, group)) == 1, [
        m.text[:40] for m in bot_messages(bot.fake, group)
    ]
    assert "/topic" in await bot.ask(group, USER, "/start", chat_type="group")  # asked: answered


async def test_unfollowing_everything_in_a_forums_general_thread_leaves_other_threads(
    bot: LiveBot, tmp_path: Path
) -> None:
    """An admin sends /stop in the General thread and taps "Unfollow everything" (asked: "Stop
    following every topic here?"); the thread next door, which follows Robotics, gets no
    Robotics post afterwards, though nobody stopped it."""
    forum, thread = -1_000_000_002_003, 7
    bot.fake.add_chat(forum, "supergroup", title="Forum", admins=(USER,), is_forum=True)
    bot.fake.set_thread(forum, thread)
    in_forum = {"chat_type": "supergroup"}
    await bot.ask(forum, USER, "/topic robotics", thread_id=thread, **in_forum)
    await bot.ask(forum, USER, "/topic ai", **in_forum)
    await bot.ask(forum, USER, "/stop", **in_forum)
    question = bot_messages(bot.fake, forum)[-1]
    query_id = "stop-in-general"
    bot.fake.push_update(
        callback_query_update(
            forum, USER, question.message_id, "st:all", chat_type="supergroup", query_id=query_id
        )
    )
    await bot.fake.wait_for_async(lambda f: query_id in f.answered_callback_queries, what="stop")
    await bot.settle()
    write(tmp_path, "a.md", topics=("Robotics",), heat=150)
    await bot.run_publishing()  # queues what the run selected
    queued = [d.thread_id for d in await bot.deliveries(forum)]
    assert queued == [thread]  # the thread that still follows Robotics gets the post


async def test_a_digest_that_finds_its_group_moved_goes_to_the_supergroup(db: Db) -> None:
    """A digest group becomes a supergroup; its next digest gets ChatMigrated and the worker
    migrates the chat (Transaction.migrate_chat), but the digest itself (an alert-kind row) is
    left on the old id and cancelled with it: that slot's digest is never sent."""
    key = "digest:0:2026-11-26T12:00Z"
    async with db.uow() as tx:
        await tx.chats.ensure_chat(-9, ChatKind.GROUP, "g", NOW)
        await tx.outbox.enqueue_digests([(-9, 0, key, "🗞 <b>Hourly digest</b>")], NOW)
        (claimed,) = await tx.outbox.claim_due(NOW, 1)
        await tx.migrate_chat(-9, -1009, NOW)
    async with db.uow() as tx:
        moved = await tx.outbox.deliveries_for(-1009)
    assert [(d.id, d.alert_key, d.status) for d in moved] == [
        (claimed.id, key, DeliveryStatus.PENDING)
    ]


async def test_a_bot_let_speak_again_in_a_group_says_no_second_hello(bot: LiveBot) -> None:
    """An admin mutes the bot, then lets it speak: it never left, so no greeting."""
    group = -2_004
    bot.fake.add_chat(group, "group", title="Muted", admins=(USER,))
    unmuted = my_chat_member(group, "member", "group")
    muted = {"status": "restricted", "is_member": True, "until_date": 0, "can_send_messages": False}
    for right in RESTRICTED_RIGHTS:
        muted.setdefault(right, False)
    unmuted["my_chat_member"]["old_chat_member"] = {
        **muted,
        "user": unmuted["my_chat_member"]["new_chat_member"]["user"],
    }
    bot.fake.push_update(unmuted)
    await bot.settle()
    assert bot_messages(bot.fake, group) == []


RESTRICTED_RIGHTS = [
    *("can_send_audios", "can_send_documents", "can_send_photos", "can_send_videos"),
    *("can_send_video_notes", "can_send_voice_notes", "can_send_polls"),
    *("can_send_other_messages", "can_add_web_page_previews", "can_change_info"),
    *("can_invite_users", "can_pin_messages", "can_manage_topics", "can_edit_tag"),
    "can_react_to_messages",
]
