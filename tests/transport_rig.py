"""The transports under test (python-telegram-bot's HTTPXRequest and bot.transport's aiohttp
one) and the world they meet: the fake Bot API, a raw server that misbehaves as the first path
segment says, a port nothing listens on and a listener whose accept queue is full."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from telegram import Bot, InputFile
from telegram.request import BaseRequest, HTTPXRequest

from bot.transport import AiohttpRequest
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


@contextmanager
def _full_listener() -> Iterator[str]:
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
async def world(fake_telegram: FakeTelegram) -> AsyncIterator[World]:
    fake_telegram.add_chat(CHAT)
    fake_telegram.add_chat(GROUP, "group", title="Group")
    raw = RawServer()
    server = await asyncio.start_server(raw.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with _full_listener() as full_root:
            yield World(
                fake_telegram,
                f"http://127.0.0.1:{port}",
                f"http://127.0.0.1:{_free_port()}",
                full_root,
            )
    finally:
        raw.released.set()
        server.close()
        await server.wait_closed()


async def send(world: World, transport: str, root: str | None = None, **kw: Any) -> Any:
    bot = world.bot(transport, root, kw.pop("token", None))
    async with bot.request:
        return await bot.send_message(kw.pop("chat_id", CHAT), "hello", **kw)


async def upload(world: World, transport: str, root: str | None = None) -> Any:
    bot = world.bot(transport, root)
    async with bot.request:
        return await bot.send_document(CHAT, InputFile(BIG_UPLOAD, filename="big.bin"))
