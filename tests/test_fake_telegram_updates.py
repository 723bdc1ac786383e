"""The fake Bot API against a real ``telegram.Bot`` / ``Application`` over real HTTP: Telegram's
flood limits, updates (pushed, polled, a second poller, callbacks, webhook), chats, members,
commands, waiting on the fake, and the fake running standalone.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    Conflict,
    NetworkError,
    RetryAfter,
)
from telegram.ext import Application, CommandHandler, ContextTypes

from tests.fake_api_rig import CHANNEL, GROUP, OTHER_USER, USER, bot, fake, make_bot
from tests.fake_telegram import (
    FakeTelegram,
    callback_query_update,
    message_update,
)
from tests.fake_telegram import fixtures as fake_fixtures
from tests.fake_telegram.limits import RateLimiter

fake_telegram = fake_fixtures.fake_telegram


__all__ = ["bot", "fake"]  # the fixtures, from tests.fake_api_rig
ROOT = Path(__file__).resolve().parent.parent


# flood limits


async def test_private_chat_burst_gets_429(fake_telegram: FakeTelegram) -> None:
    fake_telegram.add_chat(USER)
    fake_telegram.add_chat(OTHER_USER)
    async with make_bot(fake_telegram) as bot:
        for n in range(3):
            await bot.send_message(USER, f"burst {n}")
        with pytest.raises(RetryAfter) as limited:
            await bot.send_message(USER, "one too many")
        assert limited.value.retry_after == dtm.timedelta(seconds=1)
        await bot.send_message(OTHER_USER, "another chat has its own allowance")
        for n in range(3):  # edits and answers are not flood-limited
            await bot.edit_message_text(f"edit {n}", chat_id=USER, message_id=1)
    assert fake_telegram.count_429 == 1


async def test_group_gets_20_messages_a_minute(fake_telegram: FakeTelegram) -> None:
    fake_telegram.add_chat(GROUP, "group")
    async with make_bot(fake_telegram) as bot:
        for n in range(20):
            await bot.send_message(GROUP, f"post {n}")
        with pytest.raises(RetryAfter) as limited:
            await bot.send_message(GROUP, "21st")
    wait = limited.value.retry_after
    assert isinstance(wait, dtm.timedelta)
    assert dtm.timedelta(seconds=55) <= wait <= dtm.timedelta(seconds=60)


async def test_global_limit_and_paid_broadcast() -> None:
    with FakeTelegram(global_rate=5) as fake:
        for user in range(1, 8):
            fake.add_chat(user)
        async with make_bot(fake) as bot:
            for user in range(1, 6):
                await bot.send_message(user, "news")
            with pytest.raises(RetryAfter):
                await bot.send_message(6, "news")
            await bot.send_message(6, "news", allow_paid_broadcast=True)


def test_rate_limiter_retry_after_is_honest() -> None:
    now = [100.0]
    limiter = RateLimiter(global_rate=30, clock=lambda: now[0])
    assert [limiter.acquire(1, is_private=True) for _ in range(3)] == [None] * 3
    wait = limiter.acquire(1, is_private=True)
    assert wait == 1
    now[0] += wait
    assert limiter.acquire(1, is_private=True) is None
    assert limiter.acquire(1, is_private=True) == 1  # refills at 1/s, not back to a full burst

    for _ in range(20):
        assert limiter.acquire(-5, is_private=False) is None
        now[0] += 1
    wait = limiter.acquire(-5, is_private=False)
    assert wait == 40  # the first of the 20 leaves the 60 s window then
    now[0] += wait
    assert limiter.acquire(-5, is_private=False) is None


# updates


async def test_application_receives_pushed_updates_exactly_once(fake: FakeTelegram) -> None:
    seen: list[int] = []

    async def start(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update.update_id)
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"hello {len(seen)}")

    application = (
        Application.builder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    await application.initialize()
    try:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling()
        first = fake.push_update(message_update(USER, USER, "/start"))
        await fake.wait_for_async(lambda f: len(f.sent(USER)) == 1)
        second = fake.push_update(message_update(USER, USER, "/start again"))
        await fake.wait_for_async(lambda f: len(f.sent(USER)) == 2)
    finally:
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
    assert seen == [first, second]
    assert [call.text for call in fake.sent(USER)] == ["hello 1", "hello 2"]
    assert fake.pending_updates() == []  # the stop-time getUpdates confirmed the last one
    assert fake.calls_of("deleteWebhook")


async def test_get_updates_offset_limit_and_long_poll(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    ids = [fake.push_update(message_update(USER, USER, f"m{n}")) for n in range(3)]
    assert [u.update_id for u in await bot.get_updates(limit=2)] == ids[:2]
    assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[1:]
    assert await bot.get_updates(offset=ids[2] + 1) == ()
    assert await bot.get_updates() == ()  # confirmed updates are gone for good

    started = time.monotonic()
    waiting = asyncio.create_task(bot.get_updates(timeout=5))
    await fake.wait_for_async(lambda f: f.polling == 1)
    pushed = fake.push_update(message_update(USER, USER, "late"))
    assert [u.update_id for u in await waiting] == [pushed]
    assert time.monotonic() - started < 2


async def test_second_poller_terminates_the_first(fake: FakeTelegram, bot: telegram.Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await fake.wait_for_async(lambda f: f.polling == 1)
    async with make_bot(fake) as second_instance:
        assert await second_instance.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first


async def test_callback_query_edit_and_answer(fake: FakeTelegram, bot: telegram.Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Subscribe", callback_data="sub:ai")]])
    sent = await bot.send_message(USER, "Topics", reply_markup=keyboard)
    fake.push_update(callback_query_update(USER, USER, sent.message_id, "sub:ai"))
    (update,) = await bot.get_updates()
    query = update.callback_query
    assert query is not None and isinstance(query.message, telegram.Message)
    assert query.message.text == "Topics" and query.data == "sub:ai"
    assert await bot.answer_callback_query(query.id, "Subscribed")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query.id)
    await bot.edit_message_text("Topics ✓", chat_id=USER, message_id=sent.message_id)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Topics ✓", chat_id=USER, message_id=sent.message_id)
    (shown,) = fake.messages(USER)
    assert shown.text == "Topics ✓" and shown.reply_markup is None  # no markup: keyboard gone
    with pytest.raises(LookupError):
        fake.push_update(callback_query_update(USER, USER, 999, "x"))


@pytest.mark.parametrize(
    ("button", "error"),
    [
        (InlineKeyboardButton("b", callback_data="x" * 64), None),
        (InlineKeyboardButton("b", callback_data="é" * 33), "Button_data_invalid"),  # 66 bytes
        (InlineKeyboardButton("b", url="https://example.com"), None),
        (InlineKeyboardButton("b", url="javascript:alert(1)"), "Button_url_invalid"),
        (InlineKeyboardButton("b"), r"(?i)text buttons are unallowed"),
    ],
)
async def test_inline_keyboard_validation(
    bot: telegram.Bot, button: InlineKeyboardButton, error: str | None
) -> None:
    send = bot.send_message(USER, "pick", reply_markup=InlineKeyboardMarkup([[button]]))
    if error is None:
        await send
    else:
        with pytest.raises(BadRequest, match=error):
            await send


async def test_answer_callback_text_limit(fake: FakeTelegram, bot: telegram.Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="x")]])
    sent = await bot.send_message(USER, "pick", reply_markup=keyboard)
    fake.push_update(callback_query_update(USER, USER, sent.message_id, "x", query_id="q1"))
    with pytest.raises(BadRequest, match="Message_too_long"):
        await bot.answer_callback_query("q1", "😀" * 101)
    assert await bot.answer_callback_query("q1", "😀" * 100)


async def test_link_preview_options_round_trip(bot: telegram.Bot) -> None:
    options = telegram.LinkPreviewOptions(url="https://example.com/a", prefer_large_media=True)
    message = await bot.send_message(USER, "read", link_preview_options=options)
    assert message.link_preview_options == options


async def test_webhook_and_get_updates_exclude_each_other(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)https url must be provided"):
        await bot.set_webhook("http://example.com/hook")
    await bot.set_webhook("https://example.com/hook", secret_token="s3cret")
    assert (await bot.get_webhook_info()).url == "https://example.com/hook"
    with pytest.raises(Conflict, match=r"(?i)webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook()
    assert await bot.get_updates() == ()


# chats, members, commands


async def test_chats_and_members(fake: FakeTelegram, bot: telegram.Bot) -> None:
    channel = await bot.get_chat("@ai_news")
    assert (channel.id, channel.type, channel.title) == (CHANNEL, "channel", "News")
    assert (await bot.get_chat_member(GROUP, USER)).status == "administrator"
    assert (await bot.get_chat_member(GROUP, OTHER_USER)).status == "member"
    admins = await bot.get_chat_administrators(GROUP)
    assert [admin.user.id for admin in admins] == [USER]
    ids = [(await bot.send_message(GROUP, f"m{n}")).message_id for n in range(2)]
    ids.append((await bot.send_message(CHANNEL, "c")).message_id)
    assert ids == [1, 2, 1]  # message ids count per chat


async def test_commands_are_stored_per_scope_and_language(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    await bot.set_my_commands([("topic", "Manage topics")])
    await bot.set_my_commands(
        [("publish", "Publish now")], scope=telegram.BotCommandScopeChat(GROUP)
    )
    await bot.set_my_commands([("topic", "Themen")], language_code="de")
    assert fake.commands() == [{"command": "topic", "description": "Manage topics"}]
    assert fake.commands({"type": "chat", "chat_id": GROUP}) == [
        {"command": "publish", "description": "Publish now"}
    ]
    assert fake.commands(language_code="de")[0]["description"] == "Themen"
    assert fake.commands({"type": "all_private_chats"}) == []
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([("Publish", "uppercase is not allowed")])
    await bot.delete_my_commands()
    assert fake.commands() == []


# waiting


def test_wait_for_times_out_with_recent_calls(fake: FakeTelegram) -> None:
    fake.fail("getMe", status=500)

    async def start_bot() -> None:
        async with make_bot(fake):
            pass

    with pytest.raises(NetworkError):
        asyncio.run(start_bot())
    with pytest.raises(AssertionError, match=r"(?s)no message.*getMe -> 500"):
        fake.wait_for(lambda f: f.sent(), timeout=0.05, what="no message")


async def test_wait_for_async_times_out(fake: FakeTelegram) -> None:
    with pytest.raises(AssertionError, match="never"):
        await fake.wait_for_async(lambda f: False, timeout=0.05, what="never")


# running standalone


def test_standalone_server_answers_and_stops_on_sigterm() -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "tests.fake_telegram", "--auto-chats"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            base_url = process.stdout.readline().split()[1]
            url = f"{base_url}123456:TEST-TOKEN/sendMessage?chat_id=77&text=hi"
            with urllib.request.urlopen(url) as response:
                assert json.load(response)["result"]["chat"]["id"] == 77
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.kill()
