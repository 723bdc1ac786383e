"""The two yardsticks the fan-out engine is measured against, sending the post it sends (HTML,
button, link preview, paid) one message after another to the fake in its own process:

- a bare python-telegram-bot loop: ``Bot.send_message`` with PTB's default transport (httpx),
  full Message objects built, nothing read or recorded;
- a raw aiohttp POST loop: the form body encoded once, the chat_id put in front of it per
  message, the answer's message_id read. What a client can do at the least.

The fake runs without Telegram's limits here: a loop must show how fast it can go, and the
paid cap (1000/s) is applied when the engine is compared to it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, fields
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import aiohttp
from telegram import Bot, TelegramObject

from bench.fake_server import TOKEN, FakeServer
from bench.procfs import cpu_seconds
from bot.formatting import Post, render_post
from bot.sender import TelegramSender
from storage.records import Article
from tests.seeding import BIG_NEWS

FIRST_CHAT = 5_000_000


def bench_post() -> Post:
    now = datetime.now(UTC)
    # A stored Article holds a subset of what ingest parses (no image list, no type).
    stored = {f.name for f in fields(Article)}
    parsed = {key: value for key, value in asdict(BIG_NEWS).items() if key in stored}
    return render_post(Article(1, **parsed, first_seen_at=now, updated_at=now))


def _post_call(bot: Bot) -> tuple[str, dict[str, Any]]:
    """The method and parameters the engine's sender uses for the post (chat_id left out)."""
    method, data, _ = TelegramSender(bot, paid_broadcast=True).api_call(bench_post())
    return method, {key: value for key, value in data.items() if value is not None}


def fake_cpu(fake: FakeServer) -> float:
    """CPU-seconds the fake has used so far (Linux /proc): its ceiling bounds every loop."""
    return cpu_seconds(fake.proc.pid)


async def _measure(
    fake: FakeServer, messages: int, send: Callable[[int], Awaitable[object]]
) -> dict[str, float]:
    fake_cpu0 = fake_cpu(fake)
    cpu0 = time.process_time()
    start = time.perf_counter()
    for n in range(messages):
        await send(FIRST_CHAT + n)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    return {
        "rate": messages / elapsed,
        "cpu_ms_per_message": 1000 * cpu / messages,
        "fake_cpu_ms_per_message": 1000 * (fake_cpu(fake) - fake_cpu0) / messages,
    }


async def bare_loop(messages: int) -> dict[str, float]:
    fake = FakeServer(global_rate=30, rate_limits=False)
    try:
        bot = Bot(TOKEN, base_url=fake.base_url)
        method, data = _post_call(bot)
        assert method == "sendMessage"
        async with bot:
            return await _measure(fake, messages, lambda chat: bot.send_message(chat, **data))
    finally:
        fake.stop()


def _form(data: dict[str, Any]) -> str:
    def field(value: Any) -> str:
        if isinstance(value, str):
            return value
        return json.dumps(value.to_dict() if isinstance(value, TelegramObject) else value)

    return urlencode({name: field(value) for name, value in data.items()})


async def raw_loop(messages: int) -> dict[str, float]:
    fake = FakeServer(global_rate=30, rate_limits=False)
    try:
        method, data = _post_call(Bot(TOKEN, base_url=fake.base_url))
        url = f"{fake.base_url}{TOKEN}/{method}"
        form = _form(data)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        # bot.transport's one setting that saves CPU, so the yardstick has it too
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:

            async def send(chat: int) -> int:
                body = f"chat_id={chat}&{form}".encode()
                async with session.post(url, data=body, headers=headers) as response:
                    answer = json.loads(await response.read())
                return int(answer["result"]["message_id"])

            return await _measure(fake, messages, send)
    finally:
        fake.stop()
