"""End to end: the chat's language. A private chat answers in its user's language_code (ru,
zh-hans) with the menu Telegram shows for that language; /language switches it with buttons,
edited in place, and the choice outlives the Application (rebuilt on the same database); a
group answers in telegram.language; the channel's posts carry telegram.language's words."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.article_factory import write_article
from tests.bot_process import CHANNEL_ID
from tests.fake_telegram import callback_query_update
from tests.fake_telegram.server import FakeTelegram
from tests.live_bot import ADMIN, SETTLE_CHAT, LiveBot, bot_config, fake_with, live_bot

RU_USER, ZH_USER, DE_USER = 2001, 2002, 2003
GROUP = -3001


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with fake_with(ADMIN, RU_USER, ZH_USER, DE_USER, SETTLE_CHAT) as running:
        running.add_chat(GROUP, "group", title="Leser", admins=(DE_USER,))
        yield running


def config(tmp_path: Path, fake: FakeTelegram, **telegram: Any) -> Any:
    return bot_config(
        tmp_path, fake, topics=["Robotics"], telegram=telegram, database={"url": "sqlite:///x.db"}
    )


async def press(bot: LiveBot, chat_id: int, user_id: int, label: str, **kwargs: Any) -> None:
    """Press the button labelled `label` on the bot's last message in the chat."""
    message = [m for m in bot.fake.messages(chat_id) if m.from_bot][-1]
    assert message.reply_markup is not None
    (data,) = [
        button["callback_data"]
        for row in message.reply_markup["inline_keyboard"]
        for button in row
        if button["text"].endswith(label)
    ]
    query_id = f"press-{chat_id}-{len(bot.fake.answered_callback_queries)}"
    bot.fake.push_update(
        callback_query_update(
            chat_id, user_id, message.message_id, data, query_id=query_id, **kwargs
        )
    )
    await bot.fake.wait_for_async(lambda f: query_id in f.answered_callback_queries)


async def edited(bot: LiveBot, chat_id: int) -> None:
    """Until the bot's last message in the chat was edited (the button answer comes first)."""
    await bot.fake.wait_for_async(
        lambda f: [m for m in f.messages(chat_id) if m.from_bot][-1].edit_date is not None,
        what=f"an edit in chat {chat_id}",
    )


def last_text(bot: LiveBot, chat_id: int) -> str:
    return [m for m in bot.fake.messages(chat_id) if m.from_bot][-1].text


async def test_users_are_answered_in_their_language_with_their_menu(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    async with live_bot(fake, config(tmp_path, fake)) as bot:
        ru = await bot.ask(RU_USER, RU_USER, "/help", language_code="ru")
        assert "<b>Команды</b>" not in ru and "Команды" in ru  # the reply's plain text
        assert "/topic [@канал] <название> — подписаться на тему" in ru
        assert "Рейтинг (🔥 в каждом посте)" in ru
        assert "Этот чат пока ни на что не подписан" in await bot.ask(
            RU_USER, RU_USER, "/mytopics", language_code="ru-RU"
        )
        zh = await bot.ask(ZH_USER, ZH_USER, "/start", language_code="zh-hans")
        assert zh.startswith("你好！我在 @my_ai_news 发布每天最热的 AI 新闻")
        buttons = [m for m in fake.messages(ZH_USER) if m.from_bot][-1].reply_markup
        assert buttons is not None
        assert buttons["inline_keyboard"][0][0]["text"] == "浏览话题"
        # a language without a catalogue gets telegram.language (English here)
        assert "Commands" in await bot.ask(DE_USER, DE_USER, "/help", language_code="de")

    ru_menu = {c["command"]: c["description"] for c in fake.commands(language_code="ru")}
    assert ru_menu["topic"] == "подписаться на тему (несколько — через запятую)"
    assert "publish" not in ru_menu
    zh_menu = {c["command"]: c["description"] for c in fake.commands(language_code="zh")}
    assert zh_menu["language"] == "选择本聊天的语言"
    default = {c["command"]: c["description"] for c in fake.commands()}
    assert default["stop"] == "stop following every topic, or pause for a week"
    assert fake.commands(language_code="en") == fake.commands()


async def test_plural_forms_follow_the_language(fake: FakeTelegram, tmp_path: Path) -> None:
    async with live_bot(fake, config(tmp_path, fake)) as bot:
        await bot.ask(RU_USER, RU_USER, "/topic robotics", language_code="ru")
        answer = await bot.ask(RU_USER, RU_USER, "/mytopics", language_code="ru")
        assert answer.startswith("Этот чат подписан на 1 тему:")
        answer = await bot.ask(RU_USER, RU_USER, "/stop", language_code="ru")
        assert answer.startswith("Отписаться здесь от всех тем?")
        await press(bot, RU_USER, RU_USER, "Отписаться от всего", language_code="ru")
        await edited(bot, RU_USER)
        assert "(снята 1 тема)" in last_text(bot, RU_USER)


async def test_language_switches_with_buttons_and_is_kept_across_a_restart(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    settings = config(tmp_path, fake)
    async with live_bot(fake, settings) as bot:
        answer = await bot.ask(RU_USER, RU_USER, "/language", language_code="ru")
        assert "Язык этого чата: Русский" in answer
        listing = [m for m in fake.messages(RU_USER) if m.from_bot][-1]
        await press(bot, RU_USER, RU_USER, "简体中文", language_code="ru")
        await edited(bot, RU_USER)
        shown = next(m for m in fake.messages(RU_USER) if m.message_id == listing.message_id)
        assert shown.text.startswith("本聊天的语言：简体中文")
        # the private chat's own menu follows the choice
        scope = {"type": "chat", "chat_id": RU_USER}
        await fake.wait_for_async(lambda f: f.commands(scope), what="the chat's own menu")
        chat_menu = fake.commands(scope)
        assert {c["command"]: c["description"] for c in chat_menu}[
            "stop"
        ] == "取消关注全部话题，或暂停一周"

    async with live_bot(fake, settings) as bot:  # a new Application on the same database
        assert "全部命令" in await bot.ask(RU_USER, RU_USER, "/help", language_code="ru")
        assert (await bot.chat(RU_USER)) is not None


async def test_a_group_uses_telegram_language_until_its_admins_change_it(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    async with live_bot(fake, config(tmp_path, fake, language="ru")) as bot:
        # the group's language is the bot's, whatever the sender's app says
        answer = await bot.ask(GROUP, DE_USER, "/help", language_code="en")
        assert "Команды" in answer
        await bot.ask(GROUP, RU_USER, "/language", chat_type="group")
        await press(bot, GROUP, RU_USER, "English", chat_type="group")  # not an admin there
        (refusal,) = [
            a for q, a in fake.answered_callback_queries.items() if q.startswith(f"press-{GROUP}")
        ]
        assert refusal["show_alert"] and "только её администраторы" in refusal["text"]
        await press(bot, GROUP, DE_USER, "English", chat_type="group")
        await edited(bot, GROUP)
        assert last_text(bot, GROUP).startswith("This chat's language: English")
        assert "Commands" in await bot.ask(GROUP, DE_USER, "/help")
        # the default menu is telegram.language's
        assert {c["command"]: c["description"] for c in fake.commands()}["stop"] == (
            "отписаться от всех тем или взять паузу на неделю"
        )


async def test_channel_posts_carry_the_words_of_telegram_language(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    write_article(tmp_path / "articles", "one.md", image="https://img.example.com/a.jpg")
    async with live_bot(fake, config(tmp_path, fake, language="zh-CN")) as bot:
        await bot.run_publishing()
        await fake.wait_for_async(lambda f: bot.posts(CHANNEL_ID), what="the channel post")
        (post,) = bot.posts(CHANNEL_ID)
        markup = post.params["reply_markup"]
        assert markup["inline_keyboard"][0][0]["text"] == "阅读"


def unfollow_button(bot: LiveBot, chat_id: int) -> str:
    """The unfollow button's words under the chat's last post."""
    markup = bot.posts(chat_id)[-1].params["reply_markup"]
    return str(markup["inline_keyboard"][0][1]["text"])


async def publish_robotics(bot: LiveBot, folder: Path, n: int, *chats: int) -> None:
    """Article n on Robotics, published and sent: the chats' n-th post. Each has an image of
    its own (one image under many articles reads as the site's generic one)."""
    url, image = f"https://example.com/{n}", f"https://img.example.com/{n}.jpg"
    write_article(folder / "articles", f"{n}.md", url=url, topics=("Robotics",), image=image)
    await bot.run_publishing()
    await bot.fake.wait_for_async(lambda f: all(len(bot.posts(c)) == n for c in chats))


async def test_post_buttons_follow_the_app_language_a_user_last_wrote_in(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    """A private chat that chose no /language gets its posts' unfollow button in its user's app
    language, as its replies are, and in the new one once the user switched their app; an
    app language the bot has no catalogue for gets telegram.language (Russian here), also
    after a known one (not the old one's words)."""
    async with live_bot(fake, config(tmp_path, fake, language="ru")) as bot:
        await bot.ask(ZH_USER, ZH_USER, "/topic robotics", language_code="zh-hans")
        await bot.ask(DE_USER, DE_USER, "/topic robotics", language_code="de")
        await publish_robotics(bot, tmp_path, 1, ZH_USER, DE_USER)
        assert unfollow_button(bot, ZH_USER) == "🔕 取消关注 Robotics"
        assert unfollow_button(bot, DE_USER) == "🔕 Отписаться: Robotics"

        assert "Commands" in await bot.ask(ZH_USER, ZH_USER, "/help", language_code="en-GB")
        await publish_robotics(bot, tmp_path, 2, ZH_USER)
        assert unfollow_button(bot, ZH_USER) == "🔕 Unfollow Robotics"

        assert "Команды" in await bot.ask(ZH_USER, ZH_USER, "/help", language_code="de")
        await publish_robotics(bot, tmp_path, 3, ZH_USER)
        assert unfollow_button(bot, ZH_USER) == "🔕 Отписаться: Robotics"
