"""The fake Bot API is only useful if it is as strict as Telegram and PTB reads it like Telegram:
HTML parse mode, lengths, photos and errors the way PTB maps them. Flood limits, updates, chats
and running standalone: tests/test_fake_telegram_updates.py.

Everything here goes over real HTTP with a real ``telegram.Bot`` / ``Application``.
"""

from __future__ import annotations

import datetime as dtm
import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import telegram
from telegram.constants import ParseMode

from tests.fake_api_rig import GROUP, OTHER_USER, USER, bot, fake, make_bot
from tests.fake_telegram import (
    Entity,
    FakeTelegram,
    HtmlEntityError,
    parse_html,
)

__all__ = ["bot", "fake"]  # the fixtures, from tests.fake_api_rig
ROOT = Path(__file__).resolve().parent.parent


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
    with pytest.raises(telegram.error.BadRequest, match="Can't parse entities") as refused:
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
        with pytest.raises(telegram.error.BadRequest, match="Message caption is too long"):
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
        with pytest.raises(telegram.error.BadRequest, match=error):
            await send


# photos


async def test_photo_urls_uploads_and_broken_urls(fake: FakeTelegram, bot: telegram.Bot) -> None:
    fake.break_photo_url(
        "https://example.com/gone.png", "Bad Request: failed to get HTTP URL content"
    )
    with pytest.raises(telegram.error.BadRequest, match="Failed to get http url content"):
        await bot.send_photo(USER, "https://example.com/gone.png")
    with pytest.raises(telegram.error.BadRequest, match="Wrong file identifier/http url specified"):
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


async def test_injected_429_is_retry_after(fake: FakeTelegram, bot: telegram.Bot) -> None:
    fake.rate_limit(USER, retry_after=7)
    with pytest.raises(telegram.error.RetryAfter) as limited:
        await bot.send_message(USER, "hi")
    assert limited.value.retry_after == dtm.timedelta(seconds=7)
    await bot.send_message(USER, "hi")  # one-shot
    assert fake.count_429 == 1 and fake.calls_of("sendMessage")[0].retry_after == 7


async def test_blocked_chat_is_forbidden_until_unblocked(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    fake.block_chat(USER)
    for _ in range(2):
        with pytest.raises(telegram.error.Forbidden, match="bot was blocked by the user"):
            await bot.send_message(USER, "hi")
    await bot.send_message(OTHER_USER, "others still work")
    fake.unblock_chat(USER)
    await bot.send_message(USER, "hi")


async def test_migrated_group_raises_chat_migrated(fake: FakeTelegram, bot: telegram.Bot) -> None:
    new_id = -1009999
    fake.migrate_chat(GROUP, new_id)
    with pytest.raises(telegram.error.ChatMigrated) as migrated:
        await bot.send_message(GROUP, "hi")
    assert migrated.value.new_chat_id == new_id
    message = await bot.send_message(new_id, "hi")
    assert message.chat.type == "supergroup" and message.chat.title == "Group"


async def test_server_errors_are_network_errors_not_bad_requests(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    fake.server_error(times=2)
    for _ in range(2):
        with pytest.raises(telegram.error.NetworkError) as failed:
            await bot.send_message(USER, "hi")
        assert not isinstance(failed.value, telegram.error.BadRequest)
    await bot.send_message(USER, "hi")


async def test_fail_matches_method_and_chat(fake: FakeTelegram, bot: telegram.Bot) -> None:
    fake.fail("sendMessage", OTHER_USER, status=403, description="Forbidden: user is deactivated")
    await bot.send_message(USER, "not this chat")
    await bot.send_chat_action(OTHER_USER, "typing")  # not this method
    with pytest.raises(telegram.error.Forbidden, match="user is deactivated"):
        await bot.send_message(OTHER_USER, "this one")


async def test_unknown_chat_and_username(bot: telegram.Bot) -> None:
    for chat in (424242, "@nobody"):
        with pytest.raises(telegram.error.BadRequest, match="Chat not found"):
            await bot.send_message(chat, "hi")
        with pytest.raises(telegram.error.BadRequest, match="Chat not found"):
            await bot.get_chat(chat)


async def test_slow_response_times_out_after_delivering(fake: FakeTelegram) -> None:
    fake.delay_responses(1.0, "sendMessage")
    async with make_bot(fake, read_timeout=0.1) as impatient:
        with pytest.raises(telegram.error.TimedOut):
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
    with pytest.raises(telegram.error.InvalidToken):
        async with telegram.Bot("1:WRONG", base_url=fake.base_url):
            pass
