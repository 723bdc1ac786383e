"""CPU per Bot API call of python-telegram-bot over its default transport (httpx) and over
bot.transport (aiohttp), for the calls that are not broadcast sends: an empty getUpdates (what
long polling repeats) and a command reply (``send_message``, the Message built), against the
fake in its own process without rate limits. Each transport runs twice, alternating, and its
lower figure counts:

    .venv/bin/python -m bench.transport
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from telegram import Bot
from telegram.request import BaseRequest, HTTPXRequest

from bench.fake_server import TOKEN, FakeServer
from bot.transport import AiohttpRequest

CALLS = 1000
TRANSPORTS: dict[str, Callable[[], BaseRequest]] = {
    "httpx": HTTPXRequest,
    "aiohttp": AiohttpRequest,
}


async def _cpu_ms_per_call(fake: FakeServer, make: Callable[[], BaseRequest]) -> dict[str, float]:
    bot = Bot(TOKEN, base_url=fake.base_url, request=make(), get_updates_request=make())
    async with bot:
        cpu = time.process_time()
        for _ in range(CALLS):
            await bot.get_updates(timeout=0)
        polls = time.process_time() - cpu
        cpu = time.process_time()
        for n in range(CALLS):
            await bot.send_message(2_000_000 + n, "pong")
        replies = time.process_time() - cpu
    return {"getUpdates": 1000 * polls / CALLS, "reply": 1000 * replies / CALLS}


async def _run() -> None:
    fake = FakeServer(global_rate=30, rate_limits=False)
    try:
        best: dict[str, dict[str, float]] = {}
        for name in [*TRANSPORTS, *TRANSPORTS]:
            run = await _cpu_ms_per_call(fake, TRANSPORTS[name])
            kept = best.setdefault(name, run)
            for call, ms in run.items():
                kept[call] = min(kept[call], ms)
    finally:
        fake.stop()
    for call in ("getUpdates", "reply"):
        httpx_ms, aiohttp_ms = best["httpx"][call], best["aiohttp"][call]
        print(
            f"{call}: CPU-ms per call httpx {httpx_ms:.3f}, aiohttp {aiohttp_ms:.3f}"
            f" (aiohttp ÷ httpx {aiohttp_ms / httpx_ms:.2f})"
        )


def main() -> None:
    asyncio.run(_run())


if __name__ == "__main__":
    main()
