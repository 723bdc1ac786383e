"""End to end: what a newcomer meets. The descriptions Telegram shows before Start, per language;
/start in two lines with its three buttons ("Browse topics" turns the welcome into the topic
list in place); an unknown topic in a deep link; /help's line on heat; and the hello said once
when the bot is added to a group."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fake_telegram import BOT_USERNAME, callback_query_update
from tests.fake_telegram.server import FakeTelegram
from tests.fake_telegram.updates import chat as chat_dict
from tests.fake_telegram.updates import user as user_dict
from tests.live_bot import ADMIN, SETTLE_CHAT, LiveBot, bot_config, fake_with, live_bot

USER = 4001
GROUP = -4002


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with fake_with(ADMIN, USER, SETTLE_CHAT) as running:
        running.add_chat(GROUP, "group", title="Readers", admins=(USER,))
        yield running


def config(tmp_path: Path, fake: FakeTelegram, **telegram: Any) -> Any:
    return bot_config(tmp_path, fake, topics=["Robotics", "AI"], telegram=telegram)


def buttons(fake: FakeTelegram, chat_id: int) -> list[dict[str, str]]:
    message = [m for m in fake.messages(chat_id) if m.from_bot][-1]
    assert message.reply_markup is not None
    return [b for row in message.reply_markup["inline_keyboard"] for b in row]


ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    **dict.fromkeys(
        [
            *["can_manage_chat", "can_delete_messages", "can_manage_video_chats"],
            *["can_restrict_members", "can_promote_members", "can_change_info"],
            *["can_invite_users", "can_post_stories", "can_edit_stories", "can_delete_stories"],
        ],
        True,
    ),
}


def added_to(chat_id: int, old: str = "left", new: str = "member") -> dict[str, Any]:
    bot_user = {"id": 123456, "is_bot": True, "first_name": "Feedbot", "username": BOT_USERNAME}

    def member(status: str) -> dict[str, Any]:
        rights = ADMIN_RIGHTS if status == "administrator" else {}
        return {"status": status, "user": bot_user, **rights}

    return {
        "my_chat_member": {
            "chat": chat_dict(chat_id, "group", title="Readers"),
            "from": user_dict(USER),
            "date": int(time.time()),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
    }


async def test_descriptions_are_set_for_each_language(fake: FakeTelegram, tmp_path: Path) -> None:
    async with live_bot(fake, config(tmp_path, fake)):
        pass
    assert fake.description() == fake.description("en")
    assert "@my_ai_news" in (fake.description() or "")
    short_ru = "Самые горячие новости об ИИ в @my_ai_news, по темам."
    assert fake.description("ru", short=True) == short_ru
    assert (fake.description("zh") or "").startswith("我在 @my_ai_news 发布每天最热的 AI 新闻")
    for code in ("", "en", "ru", "zh"):
        assert len(fake.description(code) or "") <= 512
        assert 0 < len(fake.description(code, short=True) or "") <= 120


async def test_the_operators_own_description_is_everyones(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    own = config(tmp_path, fake, description="Robots, daily.", short_description="Robots.")
    async with live_bot(fake, config(tmp_path, fake)):
        pass
    assert fake.description("ru") is not None
    async with live_bot(fake, own):
        pass
    assert fake.description() == "Robots, daily." and fake.description(short=True) == "Robots."
    assert fake.description("ru") is None and fake.description("zh", short=True) is None


async def test_start_is_two_lines_with_three_buttons(fake: FakeTelegram, tmp_path: Path) -> None:
    async with live_bot(fake, config(tmp_path, fake)) as bot:
        welcome = await bot.ask(USER, USER, "/start")
        assert len(welcome.splitlines()) == 2
        browse, channel, group = buttons(fake, USER)
        assert channel == {"text": "Open the channel", "url": "https://t.me/my_ai_news"}
        assert group == {
            "text": "Add to a group",
            "url": f"https://t.me/{BOT_USERNAME}?startgroup=start",
        }
        assert browse["text"] == "Browse topics"
        await press(bot, USER, browse["callback_data"])
        listing = [m for m in fake.messages(USER) if m.from_bot]
        assert len(listing) == 1  # the welcome itself became the list
        assert listing[0].text.startswith("Topics — tap one to follow it")
        assert [b["text"] for b in buttons(fake, USER)] == ["AI · 0", "Robotics · 0"]

        # the "Add to a group" link starts the bot in the group with "start": a plain welcome
        text = await bot.ask(GROUP, USER, f"/start@{BOT_USERNAME} start", chat_type="group")
        assert "don't know" not in text
        assert [b["text"] for b in buttons(fake, GROUP)] == ["Browse topics", "Open the channel"]


async def press(bot: LiveBot, chat_id: int, data: str) -> None:
    message = [m for m in bot.fake.messages(chat_id) if m.from_bot][-1]
    bot.fake.push_update(callback_query_update(chat_id, USER, message.message_id, data))
    await bot.fake.wait_for_async(
        lambda f: [m for m in f.messages(chat_id) if m.from_bot][-1].edit_date is not None,
        what="the message edited in place",
    )


async def test_an_unknown_topic_in_a_link_gets_the_welcome_and_a_line(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    async with live_bot(fake, config(tmp_path, fake)) as bot:
        text = await bot.ask(USER, USER, "/start quantum-knitting")
        first, _, rest = text.partition("\n\n")
        assert first == "The link names a topic I don't know (quantum-knitting)."
        assert rest.startswith("Hi! I post the day's hottest AI news in @my_ai_news")
        assert buttons(fake, USER)[0]["text"] == "Browse topics"
        assert "Heat (🔥 in each post) is how much attention" in await bot.ask(USER, USER, "/help")


async def test_added_to_a_group_it_says_hello_once(fake: FakeTelegram, tmp_path: Path) -> None:
    async with live_bot(fake, config(tmp_path, fake)) as bot:
        fake.push_update(added_to(GROUP))
        fake.push_update(added_to(GROUP, "member", "administrator"))  # promoted: no second hello
        await bot.settle()
        hello = [m for m in fake.messages(GROUP) if m.from_bot]
        assert len(hello) == 1
        assert hello[0].text.startswith("Hello! I post the day's hottest AI news in @my_ai_news.")
        assert "its admins choose them with /topics" in hello[0].text
        chat = await bot.chat(GROUP)
        assert chat is not None and chat.active
