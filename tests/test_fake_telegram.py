"""The fake Bot API is only useful if it is as strict as Telegram and PTB reads it like Telegram.

Everything here goes over real HTTP with a real ``telegram.Bot`` / ``Application``.
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
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import Application, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

from tests.fake_telegram import (
    Entity,
    FakeTelegram,
    HtmlEntityError,
    callback_query_update,
    message_update,
    parse_html,
)
from tests.fake_telegram import fixtures as fake_fixtures
from tests.fake_telegram.limits import RateLimiter

fake_telegram = fake_fixtures.fake_telegram

USER = 1001
OTHER_USER = 1002
GROUP = -2001
CHANNEL = -1003001
ROOT = Path(__file__).resolve().parent.parent


def make_bot(fake: FakeTelegram, read_timeout: float | None = 5.0) -> telegram.Bot:
    # plain HTTP to 127.0.0.1: not loading the CA bundle saves ~0.1 s per Bot
    return telegram.Bot(
        fake.token,
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        request=HTTPXRequest(httpx_kwargs={"verify": False}, read_timeout=read_timeout),
        get_updates_request=HTTPXRequest(httpx_kwargs={"verify": False}),
    )


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    """A fake without flood limits, for tests about everything else."""
    with FakeTelegram(enforce_rate_limits=False) as running:
        running.add_chat(USER, username="alice")
        running.add_chat(OTHER_USER)
        running.add_chat(GROUP, "group", title="Group", admins=(USER,))
        running.add_chat(CHANNEL, "channel", title="News", username="ai_news")
        yield running
    assert running.internal_errors == []


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[telegram.Bot]:
    async with make_bot(fake) as running:
        yield running


# HTML parse mode


HTML_ACCEPTED = [
    ("<b>bold</b> &amp; <i>it</i>", "bold & it"),
    ("it&#8217;s &#x2019; &quot;q&quot; &lt;tag&gt;", 'it’s ’ "q" <tag>'),
    (
        "<strong>s</strong><em>e</em><u>u</u><ins>i</ins><s>s</s><strike>k</strike><del>d</del>",
        "seuiskd",
    ),
    ('<span class="tg-spoiler">x</span><tg-spoiler>y</tg-spoiler>', "xy"),
    ('<a href="https://example.com/?a=1&amp;b=2">link</a>', "link"),
    ('<pre><code class="language-python">print(1)</code></pre>', "print(1)"),
    ("<blockquote expandable>quote</blockquote><blockquote>q</blockquote>", "quoteq"),
    ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍"),
    ("<B>upper case tags</B>", "upper case tags"),
]
HTML_REFUSED = [
    ("a&nbsp;b", 'Unsupported HTML entity "&nbsp;"'),
    ("Q&A", 'Character "&" must be escaped'),
    ("1 < 2", 'Unsupported start tag ""'),
    ("2 > 1", 'Character ">" must be escaped'),
    ("<b><i>x</b></i>", 'expected "</i>", found "</b>"'),
    ("<p>para</p>", 'Unsupported start tag "p"'),
    ("<br/>", 'Unsupported start tag "br/"'),
    ("<b>unclosed", 'Can\'t find end tag corresponding to start tag "b"'),
    ("stray</b>", "Unexpected end tag"),
    ('<b class="x">y</b>', 'Unsupported attribute "class"'),
    ('<a href="https://e.com" target="_blank">y</a>', 'Unsupported attribute "target"'),
    ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
    ('<a href="https://e.com/?a=1&b=2">y</a>', 'Character "&" must be escaped'),
]


@pytest.mark.parametrize(("html", "plain"), HTML_ACCEPTED)
async def test_html_accepted(fake: FakeTelegram, bot: telegram.Bot, html: str, plain: str) -> None:
    message = await bot.send_message(USER, html, parse_mode=ParseMode.HTML)
    assert message.text == plain
    assert fake.sent(USER)[-1].text == plain


@pytest.mark.parametrize(("html", "reason"), HTML_REFUSED)
async def test_html_refused(bot: telegram.Bot, html: str, reason: str) -> None:
    with pytest.raises(BadRequest, match="Can't parse entities") as refused:
        await bot.send_message(USER, html, parse_mode=ParseMode.HTML)
    assert reason.lower() in refused.value.message.lower()  # PTB lowercases the text


def test_parse_html_reports_entities_in_utf16_and_byte_offsets() -> None:
    text, entities = parse_html('😀 <b>bold</b> <a href="https://e.com/?a=1&amp;b=2">link</a>')
    assert text == "😀 bold link"
    assert entities == [
        Entity("bold", 3, 4),
        Entity("text_link", 8, 4, url="https://e.com/?a=1&b=2"),
    ]
    with pytest.raises(HtmlEntityError, match="at byte offset 5"):
        parse_html("😀 <p>")  # the emoji is 4 bytes of UTF-8


async def test_recorded_message_keeps_plain_text_and_entities(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    sent = await bot.send_message("@alice", "  <b>Title</b>\n<i>by</i> me  ", parse_mode="HTML")
    call = fake.sent(USER)[-1]
    assert call.chat_id == sent.chat_id == USER  # "@alice" resolves to the numeric id
    assert call.text == sent.text == "Title\nby me"  # surrounding whitespace trimmed
    assert call.entities == (Entity("bold", 0, 5), Entity("italic", 6, 2))
    assert [e.to_dict() for e in call.entities] == [e.to_dict() for e in sent.entities]


async def test_plain_text_is_not_parsed_and_stays_a_string(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    await bot.send_message(USER, "123")
    await bot.send_message(USER, "<b>not bold</b> & true")
    first, second = fake.sent(USER)
    assert first.params["text"] == "123" and first.params["chat_id"] == USER
    assert second.text == "<b>not bold</b> & true" and second.entities == ()


# lengths, in UTF-16 code units after entity parsing


@pytest.mark.parametrize(
    ("caption", "fits"),
    [
        ("😀" * 512, True),  # 1024 UTF-16 code units
        ("😀" * 512 + "a", False),
        ("字" * 1024, True),  # 1024 code units, 3072 bytes
        ("字" * 1025, False),
        ("<b>" + "字" * 1024 + "</b>", True),  # tags do not count
    ],
)
async def test_caption_limit(bot: telegram.Bot, caption: str, fits: bool) -> None:
    send = bot.send_photo(USER, "https://example.com/p.png", caption=caption, parse_mode="HTML")
    if fits:
        await send
    else:
        with pytest.raises(BadRequest, match="Message caption is too long"):
            await send


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("😀" * 2048, None),
        ("😀" * 2048 + "a", "Message is too long"),
        ("a" * 4096, None),
        (" \n\t ", "Message text is empty"),
        ("<b> </b>", "Message text is empty"),
    ],
)
async def test_text_limits(bot: telegram.Bot, text: str, error: str | None) -> None:
    send = bot.send_message(USER, text, parse_mode="HTML")
    if error is None:
        await send
    else:
        with pytest.raises(BadRequest, match=error):
            await send


# photos


async def test_photo_urls_uploads_and_broken_urls(fake: FakeTelegram, bot: telegram.Bot) -> None:
    fake.break_photo_url(
        "https://example.com/gone.png", "Bad Request: failed to get HTTP URL content"
    )
    with pytest.raises(BadRequest, match="Failed to get http url content"):
        await bot.send_photo(USER, "https://example.com/gone.png")
    with pytest.raises(BadRequest, match="Wrong file identifier/http url specified"):
        await bot.send_photo(USER, "example.com/relative.png")
    by_url = await bot.send_photo(USER, "https://example.com/ok.png", caption="ok")
    uploaded = await bot.send_photo(
        USER, b"\x89PNG not really", caption="<i>up</i>", parse_mode="HTML"
    )
    again = await bot.send_photo(USER, by_url.photo[-1].file_id)
    assert uploaded.caption == "up" and uploaded.photo
    assert again.photo
    assert [call.text for call in fake.sent(USER)] == ["ok", "up", ""]
    assert fake.calls_of("sendPhoto")[-2].params["photo"].size == len(b"\x89PNG not really")


# errors, the way PTB maps them


async def test_injected_429_is_retry_after(
    fake: FakeTelegram, bot: telegram.Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    fake.rate_limit(USER, retry_after=7)
    with pytest.raises(RetryAfter) as limited:
        await bot.send_message(USER, "hi")
    assert limited.value.retry_after == dtm.timedelta(seconds=7)
    await bot.send_message(USER, "hi")  # one-shot
    assert fake.count_429 == 1 and fake.calls_of("sendMessage")[0].retry_after == 7


async def test_blocked_chat_is_forbidden_until_unblocked(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    fake.block_chat(USER)
    for _ in range(2):
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(USER, "hi")
    await bot.send_message(OTHER_USER, "others still work")
    fake.unblock_chat(USER)
    await bot.send_message(USER, "hi")


async def test_migrated_group_raises_chat_migrated(fake: FakeTelegram, bot: telegram.Bot) -> None:
    new_id = -1009999
    fake.migrate_chat(GROUP, new_id)
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(GROUP, "hi")
    assert migrated.value.new_chat_id == new_id
    message = await bot.send_message(new_id, "hi")
    assert message.chat.type == "supergroup" and message.chat.title == "Group"


async def test_server_errors_are_network_errors_not_bad_requests(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    fake.server_error(times=2)
    for _ in range(2):
        with pytest.raises(NetworkError) as failed:
            await bot.send_message(USER, "hi")
        assert not isinstance(failed.value, BadRequest)
    await bot.send_message(USER, "hi")


async def test_fail_matches_method_and_chat(fake: FakeTelegram, bot: telegram.Bot) -> None:
    fake.fail("sendMessage", OTHER_USER, status=403, description="Forbidden: user is deactivated")
    await bot.send_message(USER, "not this chat")
    await bot.send_chat_action(OTHER_USER, "typing")  # not this method
    with pytest.raises(Forbidden, match="user is deactivated"):
        await bot.send_message(OTHER_USER, "this one")


async def test_unknown_chat_and_username(bot: telegram.Bot) -> None:
    for chat in (424242, "@nobody"):
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(chat, "hi")
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.get_chat(chat)


async def test_slow_response_times_out_after_delivering(fake: FakeTelegram) -> None:
    fake.delay_responses(1.0, "sendMessage")
    async with make_bot(fake, read_timeout=0.1) as impatient:
        with pytest.raises(TimedOut):
            await impatient.send_message(USER, "slow")
    assert [call.text for call in fake.sent(USER)] == ["slow"]


def post(url: str, body: bytes = b"", content_type: str = "") -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, method="POST")
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_wrong_token_unknown_method_and_json_bodies_over_raw_http(fake: FakeTelegram) -> None:
    api = f"{fake.base_url}{fake.token}"
    assert post(f"{fake.base_url}1:WRONG/getMe") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert post(f"{api}/sendSticker") == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    status, body = post(f"{api}/getme")  # method names ignore case
    assert status == 200 and body["result"]["username"] == "feedbot_test_bot"
    as_json = json.dumps(
        {"chat_id": USER, "text": "json body", "reply_markup": {"inline_keyboard": []}}
    )
    status, body = post(f"{api}/sendMessage", as_json.encode(), "application/json")
    assert status == 200 and body["result"]["text"] == "json body"
    form = urllib.parse.urlencode({"chat_id": USER, "text": "x", "link_preview_options": "[1]"})
    status, body = post(f"{api}/sendMessage", form.encode(), "application/x-www-form-urlencoded")
    assert status == 400 and "link preview options" in body["description"]


async def test_wrong_token_is_invalid_token_in_ptb(fake: FakeTelegram) -> None:
    with pytest.raises(InvalidToken):
        async with telegram.Bot("1:WRONG", base_url=fake.base_url):
            pass


# flood limits


async def test_private_chat_burst_gets_429(
    fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
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


async def test_group_gets_20_messages_a_minute(
    fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    fake_telegram.add_chat(GROUP, "group")
    async with make_bot(fake_telegram) as bot:
        for n in range(20):
            await bot.send_message(GROUP, f"post {n}")
        with pytest.raises(RetryAfter) as limited:
            await bot.send_message(GROUP, "21st")
    wait = limited.value.retry_after
    assert isinstance(wait, dtm.timedelta)
    assert dtm.timedelta(seconds=55) <= wait <= dtm.timedelta(seconds=60)


async def test_global_limit_and_paid_broadcast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
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


def test_fan_out_report_counts_duplicates_chat_violations_and_the_busiest_second() -> None:
    from tests.fake_telegram.calls import Call
    from tests.fake_telegram.report import fan_out_report

    def send(chat: int, at: float, text: str = "a", ok: bool = True) -> Call:
        return Call(
            "sendMessage",
            {},
            at,
            ok,
            200 if ok else 429,
            None if ok else 429,
            chat_id=chat,
            text=text,
        )

    calls = [
        send(1, 0.0),
        send(1, 1.0, "b"),  # a paced second message: fine
        send(1, 1.2, "c"),  # 0.2 s after: two senders at once
        send(2, 0.1),
        send(2, 5.0),  # the same text again: a duplicate
        send(-5, 0.2),
        send(-5, 2.0, "b"),  # a group, 1.8 s apart: over half of 3 s, fine
        send(-5, 2.5, "c"),  # 0.5 s: a violation
        send(3, 0.3, ok=False),
        Call("getUpdates", {}, 0.4, True, 200),
    ]
    report = fan_out_report(calls)
    assert (report.sent, report.duplicates, report.chat_violations, report.count_429) == (
        8,
        1,
        2,
        1,
    )
    assert report.busiest_second == 3  # 0.0, 0.1, 0.2 (at 1.0 the send at 0.0 has left)
    assert fan_out_report(calls, chats=[2]).duplicates == 1
    assert fan_out_report(calls, chats=[2]).chat_violations == 0
