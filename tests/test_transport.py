"""bot.transport (python-telegram-bot's BaseRequest over aiohttp) against the fake Bot API over
real HTTP: sends through the real Bot work, uploads included, a prepared send carries what
send_message would, the Application uses it, and proxies come from the environment.
Its faults: tests/test_transport_faults.py."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, LinkPreviewOptions
from telegram.error import NetworkError, TelegramError
from telegram.request import BaseRequest

from bot.app import build_application
from bot.config import parse_config
from bot.lean_send import prepare_call, send_for_id
from bot.transport import AiohttpRequest
from tests.fake_telegram.params import Upload
from tests.transport_rig import CHAT, TRANSPORTS, World, world

__all__ = ["world"]  # the fixture, from tests.transport_rig


async def test_the_real_bot_sends_text_and_uploads_a_photo(world: World) -> None:
    bot = Bot(world.fake.token, base_url=world.fake.base_url, request=AiohttpRequest())
    photo = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    async with bot:  # initialize: getMe through the transport
        text = await bot.send_message(
            CHAT, "<b>Chips &amp; models</b> ünïcødé ✓", parse_mode="HTML"
        )
        sent = await bot.send_photo(
            CHAT, InputFile(photo, filename="chart.png"), caption="the chart", parse_mode="HTML"
        )
    assert text.text == "Chips & models ünïcødé ✓"
    assert [e.type for e in text.entities] == ["bold"]
    call = world.fake.sent(CHAT)[-1]
    assert call.method == "sendPhoto" and call.params["caption"] == "the chart"
    assert call.params["photo"] == Upload("chart.png", "image/png", len(photo))
    assert sent.message_id == call.result["message_id"]


async def test_a_stopped_transport_starts_again(world: World) -> None:
    request = AiohttpRequest()
    bot = Bot(world.fake.token, base_url=world.fake.base_url, request=request)
    async with bot.request:
        await bot.send_message(CHAT, "one")
    with pytest.raises(NetworkError, match="not initialized"):
        await bot.send_message(CHAT, "while stopped")
    async with bot.request:
        await bot.send_message(CHAT, "two")
    assert [call.text for call in world.fake.sent(CHAT)] == ["one", "two"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_prepared_send_is_what_send_message_sends(world: World, transport: str) -> None:
    """The form encoded once (bot.lean_send) carries what Bot.send_message would, over
    post_form (aiohttp) or Bot._post (any other transport), and returns the message_id."""
    data = {
        "text": "<b>Chips &amp; models</b> 1 + 1 = 2 ✓",
        "parse_mode": "HTML",
        "reply_markup": InlineKeyboardMarkup(
            [[InlineKeyboardButton("Read", url="https://example.com/a?b=c&d=é")]]
        ),
        "link_preview_options": LinkPreviewOptions(url="https://example.com/a", is_disabled=False),
        "allow_paid_broadcast": True,
        "disable_notification": None,
    }
    call = prepare_call("sendMessage", data)
    bot = world.bot(transport)
    async with bot.request:
        await bot.send_message(CHAT, **data)
        message_id = await send_for_id(bot, call, CHAT)
    by_bot, prepared = world.fake.sent(CHAT)
    assert prepared.params == by_bot.params
    assert prepared.text == by_bot.text and prepared.entities == by_bot.entities
    assert message_id == prepared.result["message_id"] != by_bot.result["message_id"]


def test_the_application_sends_through_aiohttp(tmp_path: Path) -> None:
    config = parse_config(
        f"""
telegram: {{token: "123:ABC", channel: "@news"}}
database: {{url: "sqlite:///{tmp_path / "bot.db"}"}}
""",
        path=tmp_path / "config.yaml",
        env={},
    )
    application = build_application(config)
    assert isinstance(application.bot.request, AiohttpRequest)


class RecordingProxy:
    """An HTTP proxy that answers every getMe itself and remembers the request lines."""

    def __init__(self) -> None:
        self.request_lines: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        self.request_lines.append(head.split(b"\r\n", 1)[0])
        body = b'{"ok": true, "result": {"id": 1, "is_bot": true, "first_name": "Proxied"}}'
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
            b"Connection: close\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()
        writer.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("bypassed", [False, True], ids=["proxied", "no_proxy"])
async def test_proxies_come_from_the_environment_as_with_httpx(
    world: World, transport: str, bypassed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = RecordingProxy()
    server = await asyncio.start_server(proxy.handle, "127.0.0.1", 0)
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}")
    if bypassed:
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    try:
        bot = world.bot(transport)  # the request object reads the environment from here on
        async with bot.request:
            me = await bot.get_me()
    finally:
        server.close()
        await server.wait_closed()
    if bypassed:
        assert proxy.request_lines == [] and me.first_name != "Proxied"
    else:
        (line,) = proxy.request_lines
        assert line.startswith(b"POST " + world.fake.base_url.encode()) and line.endswith(
            b"/getMe HTTP/1.1"
        )
        assert me.first_name == "Proxied"


ANSWERS = [
    b'{"ok": true, "result": {"message_id": 7, "text": "\\u00fcn\\u00efc\\u00f8d \\ud83d\\udd25"}}',
    b'{"ok": true, "result": true}',
    b'{"ok": false, "error_code": 429, "parameters": {"retry_after": 3}}',
    b'{"ok": true, "result": {"big": 123456789012345678901234567890, "nan": NaN}}',
    b'{"ok": true, "result": {"text": "caf\xe9 \xff"}}',  # not UTF-8
]


@pytest.mark.parametrize("payload", ANSWERS)
def test_answers_read_as_python_telegram_bot_reads_them(payload: bytes) -> None:
    ours, theirs = (
        AiohttpRequest.parse_json_payload(payload),
        BaseRequest.parse_json_payload(payload),
    )
    assert repr(ours) == repr(theirs)  # repr: NaN != NaN


def test_an_answer_that_is_no_json_is_the_same_telegram_error() -> None:
    with pytest.raises(TelegramError, match="Invalid server response"):
        AiohttpRequest.parse_json_payload(b"<html>502 Bad Gateway</html>")
