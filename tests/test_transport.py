"""bot.transport (python-telegram-bot's BaseRequest over aiohttp) against the fake Bot API and
a few misbehaving raw servers, over real HTTP: every fault ends in the exception PTB's own
HTTPXRequest ends in, timeouts included, and sends through the real Bot work."""

from __future__ import annotations

import asyncio
import socket
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, LinkPreviewOptions
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot.app import build_application
from bot.config import parse_config
from bot.lean_send import prepare_call, send_for_id
from bot.transport import POOL_TIMEOUT_MESSAGE, AiohttpRequest, redact_token
from tests.fake_telegram.params import Upload
from tests.fake_telegram.server import FakeTelegram

CHAT = 7001
GROUP = -7002
SUPERGROUP = -1007002
TIMEOUTS = {
    "read_timeout": 0.4,
    "write_timeout": 0.4,
    "media_write_timeout": 0.4,
    "connect_timeout": 0.4,
    "pool_timeout": 0.4,
}
TRANSPORTS: dict[str, Callable[..., BaseRequest]] = {
    "httpx": HTTPXRequest,
    "aiohttp": AiohttpRequest,
}
BIG_UPLOAD = b"\0" * (48 * 1024 * 1024)  # more than loopback's socket buffers hold


class RawServer:
    """Answers what no Bot API server should: the first path segment says how."""

    def __init__(self) -> None:
        self.released = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._answer(reader, writer)
        finally:
            writer.close()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        mode = head.split(b" ", 2)[1].split(b"/")[1]
        if mode == b"stall":  # reads nothing more: the upload fills the buffers and stops
            await self.released.wait()
            return
        if mode == b"drop":
            return
        length = next(
            int(line.split(b":")[1])
            for line in head.lower().split(b"\r\n")
            if line.startswith(b"content-length:")
        )
        await reader.readexactly(length)
        status, body = {
            b"html502": (b"502 Bad Gateway", b"<html>bad gateway</html>"),
            b"notjson": (b"200 OK", b"surely not json"),
        }[mode]
        writer.write(
            b"HTTP/1.1 %s\r\nContent-Type: text/html\r\nContent-Length: %d\r\n"
            b"Connection: close\r\n\r\n%s" % (status, len(body), body)
        )
        await writer.drain()


@dataclass
class World:
    fake: FakeTelegram
    raw_root: str  # http://127.0.0.1:PORT
    refused_root: str  # nothing listens there
    full_root: str  # listens, accept queue full: connecting hangs

    def bot(self, transport: str, root: str | None = None, token: str | None = None) -> Bot:
        base_url = f"{root}/bot" if root else self.fake.base_url
        return Bot(
            token or self.fake.token, base_url=base_url, request=TRANSPORTS[transport](**TIMEOUTS)
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def full_listener() -> Iterator[str]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    host, port = listener.getsockname()
    filler = socket.create_connection((host, port))  # takes the only place in the queue
    try:
        yield f"http://{host}:{port}"
    finally:
        filler.close()
        listener.close()


@pytest.fixture
async def world(fake_telegram: FakeTelegram, full_listener: str) -> AsyncIterator[World]:
    fake_telegram.add_chat(CHAT)
    fake_telegram.add_chat(GROUP, "group", title="Group")
    raw = RawServer()
    server = await asyncio.start_server(raw.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield World(
            fake_telegram,
            f"http://127.0.0.1:{port}",
            f"http://127.0.0.1:{_free_port()}",
            full_listener,
        )
    finally:
        raw.released.set()
        server.close()
        await server.wait_closed()


@dataclass(frozen=True)
class Seen:
    kind: type[BaseException] | None
    message: str | None = None
    retry_after: int | timedelta | None = None
    new_chat_id: int | None = None


Call = Callable[[World, str], Awaitable[Any]]
_CLIENT_TEXTS = ("httpx.", "aiohttp.")


async def _send(world: World, transport: str, root: str | None = None, **kw: Any) -> Any:
    bot = world.bot(transport, root, kw.pop("token", None))
    async with bot.request:
        return await bot.send_message(kw.pop("chat_id", CHAT), "hello", **kw)


async def _upload(world: World, transport: str, root: str | None = None) -> Any:
    bot = world.bot(transport, root)
    async with bot.request:
        return await bot.send_document(CHAT, InputFile(BIG_UPLOAD, filename="big.bin"))


def _via(root: str) -> Call:
    return lambda world, transport: _send(world, transport, getattr(world, root))


# (name, set the fault up, make the call, the exception both transports must raise)
CASES: list[tuple[str, Callable[[World], None], Call, type[BaseException]]] = [
    ("429", lambda w: w.fake.rate_limit(CHAT, retry_after=7), _send, RetryAfter),
    (
        "group migrated",
        lambda w: w.fake.migrate_chat(GROUP, SUPERGROUP),
        lambda w, t: _send(w, t, chat_id=GROUP),
        ChatMigrated,
    ),
    ("blocked", lambda w: w.fake.block_chat(CHAT), _send, Forbidden),
    ("chat not found", lambda w: None, lambda w, t: _send(w, t, chat_id=404404), BadRequest),
    ("bad token", lambda w: None, lambda w, t: _send(w, t, token="1:WRONG"), InvalidToken),
    ("409", lambda w: w.fake.fail("sendMessage", status=409), _send, Conflict),
    ("502", lambda w: w.fake.server_error(status=502), _send, NetworkError),
    ("418", lambda w: w.fake.fail("sendMessage", status=418), _send, NetworkError),
    ("slow answer", lambda w: w.fake.delay_responses(1.5), _send, TimedOut),
    ("refused", lambda w: None, _via("refused_root"), NetworkError),
    ("connect hangs", lambda w: None, _via("full_root"), TimedOut),
    ("dropped", lambda w: None, lambda w, t: _send(w, t, f"{w.raw_root}/drop"), NetworkError),
    ("html 502", lambda w: None, lambda w, t: _send(w, t, f"{w.raw_root}/html502"), NetworkError),
    ("not json", lambda w: None, lambda w, t: _send(w, t, f"{w.raw_root}/notjson"), TelegramError),
    ("stalled upload", lambda w: None, lambda w, t: _upload(w, t, f"{w.raw_root}/stall"), TimedOut),
]


async def _outcome(
    world: World, setup: Callable[[World], None], call: Call, transport: str
) -> Seen:
    world.fake.clear_faults()
    setup(world)
    try:
        await call(world, transport)
    except TelegramError as exc:
        return Seen(
            type(exc),
            # The texts of timeouts and connection failures name the client library.
            None
            if isinstance(exc, TimedOut) or exc.message.startswith(_CLIENT_TEXTS)
            else exc.message,
            getattr(exc, "retry_after", None),
            getattr(exc, "new_chat_id", None),
        )
    return Seen(None)


@pytest.mark.parametrize(
    ("setup", "call", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_every_fault_maps_like_httpx(
    world: World, setup: Callable[[World], None], call: Call, expected: type[BaseException]
) -> None:
    by_httpx = await _outcome(world, setup, call, "httpx")
    by_aiohttp = await _outcome(world, setup, call, "aiohttp")
    assert by_httpx.kind is expected  # the table is right about PTB's own transport
    assert by_aiohttp == by_httpx


async def test_the_fields_of_errors_survive(world: World) -> None:
    world.fake.rate_limit(CHAT, retry_after=7)
    with pytest.raises(RetryAfter) as retry:
        await _send(world, "aiohttp")
    assert retry.value.retry_after in (7, timedelta(seconds=7))
    world.fake.migrate_chat(GROUP, SUPERGROUP)
    with pytest.raises(ChatMigrated) as moved:
        await _send(world, "aiohttp", chat_id=GROUP)
    assert moved.value.new_chat_id == SUPERGROUP
    world.fake.block_chat(CHAT)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await _send(world, "aiohttp")


async def test_a_timed_out_send_may_still_have_been_delivered(world: World) -> None:
    world.fake.delay_responses(1.0, "sendMessage")
    with pytest.raises(TimedOut):
        await _send(world, "aiohttp")
    assert len(world.fake.sent(CHAT)) == 1


async def test_a_per_call_read_timeout_overrides_the_default(world: World) -> None:
    world.fake.delay_responses(0.8, "sendMessage")
    message = await _send(world, "aiohttp", read_timeout=5.0)
    assert message.message_id == world.fake.sent(CHAT)[-1].result["message_id"]


async def test_a_full_pool_times_out_without_sending(world: World) -> None:
    world.fake.delay_responses(1.0, "sendMessage")
    bot = Bot(
        world.fake.token,
        base_url=world.fake.base_url,
        request=AiohttpRequest(connection_pool_size=1, pool_timeout=0.2),
    )
    async with bot.request:
        first = asyncio.create_task(bot.send_message(CHAT, "first"))
        await world.fake.wait_for_async(lambda f: f.sent(CHAT), what="the first send")
        with pytest.raises(TimedOut, match="Pool timeout"):
            await bot.send_message(CHAT, "second")
        await first
    assert [call.text for call in world.fake.sent(CHAT)] == ["first"]
    assert POOL_TIMEOUT_MESSAGE.startswith("Pool timeout")


async def test_failures_never_show_the_token(world: World) -> None:
    for root in (world.refused_root, world.full_root, f"{world.raw_root}/drop"):
        with pytest.raises(NetworkError) as failure:
            await _send(world, "aiohttp", root)
        shown = "".join(traceback.format_exception(failure.value))
        assert world.fake.token not in shown
        assert world.fake.token.split(":")[1] not in shown


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "Connection timeout to host http://h:1/bot123:SECRET/sendMessage",
            "Connection timeout to host http://h:1/bot<token>/sendMessage",
        ),
        ("url='http://h/bot1:A-b_c/getMe'", "url='http://h/bot<token>/getMe'"),
        ("Server disconnected", "Server disconnected"),
    ],
)
def test_redact_token(text: str, shown: str) -> None:
    assert redact_token(text) == shown


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


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_prepared_send_keeps_the_error_mapping(world: World, transport: str) -> None:
    call = prepare_call("sendMessage", {"text": "hi"}, read_timeout=0.3)
    bot = world.bot(transport)
    async with bot.request:
        world.fake.rate_limit(CHAT, retry_after=3)
        with pytest.raises(RetryAfter):
            await send_for_id(bot, call, CHAT)
        world.fake.migrate_chat(GROUP, SUPERGROUP)
        with pytest.raises(ChatMigrated):
            await send_for_id(bot, call, GROUP)
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await send_for_id(bot, call, 404404)
        world.fake.delay_responses(1.0, "sendMessage")  # longer than the call's read timeout
        with pytest.raises(TimedOut):
            await send_for_id(bot, call, CHAT)


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
