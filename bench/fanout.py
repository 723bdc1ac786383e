"""Fan-out benchmark: the real bot (Application, worker, SQLite outbox) sends one article to
N subscribers through the fake Bot API enforcing Telegram's limits in another process.

    .venv/bin/python -m bench.fanout   # 10k subscribers, cap scaled to ~60 s, then paid mode
    .venv/bin/python -m bench.fanout --subscribers 2000 --seconds 10

Reports ratios measured in this run: achieved rate / cap, 429s, CPU-seconds per 1000 messages,
a command's answer latency while the fan-out runs, and, in paid mode (1000/s), the engine's
rate / a bare python-telegram-bot send loop's rate against the same fake."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telegram import Bot, Update
from telegram.ext import CommandHandler, ContextTypes

from bench.fake_server import TOKEN, FakeServer
from bot.app import build_application
from bot.config import parse_config
from bot.formatting import render_post
from bot.sender import TelegramSender
from bot.services import services
from storage.database import upgrade_to_head
from storage.records import Article
from tests.seeding import BIG_NEWS, seed_fan_out_at

CHANNEL_ID = -1001234567890
PING_CHAT = 99
FIRST_SUBSCRIBER = 1_000_000


async def _seed(url: str, subscribers: int) -> None:
    upgrade_to_head(url)
    await seed_fan_out_at(url, range(FIRST_SUBSCRIBER, FIRST_SUBSCRIBER + subscribers))


async def _ping(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text("pong")


def _ping_update(n: int) -> dict[str, Any]:
    return {
        "message": {
            "message_id": n,
            "date": int(time.time()),
            "text": "/benchping",
            "chat": {"id": PING_CHAT, "type": "private", "first_name": "Bench"},
            "from": {"id": PING_CHAT, "is_bot": False, "first_name": "Bench"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 10}],
        }
    }


async def engine_run(subscribers: int, cap: float, *, paid: bool) -> dict[str, float]:
    fake = FakeServer(global_rate=30 if paid else cap)
    try:
        fake.add_chat(CHANNEL_ID, "channel", "my_ai_news")
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            await _seed(url, subscribers)
            config = parse_config(
                f"""
telegram: {{token: "{TOKEN}", api_base_url: "{fake.base_url}", channel: "@my_ai_news"}}
database: {{url: "{url}"}}
schedule: {{interval_seconds: 3600}}
delivery: {{max_messages_per_second: {cap}, paid_broadcast: {str(paid).lower()}}}
logging: {{level: WARNING}}
""",
                path=Path(tmp) / "config.yaml",
                env={},
            )
            app = build_application(config)
            fake_cpu0 = _fake_cpu(fake)
            app.add_handler(CommandHandler("benchping", _ping))
            await app.initialize()
            cpu0 = time.process_time()
            assert app.post_init is not None
            await app.post_init(app)
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(timeout=5)
            pushes: list[float] = []
            try:
                while True:
                    stats = fake.stats(PING_CHAT)
                    if stats["sent"] - len(stats["to_chat"]) >= subscribers:
                        break
                    pushes.append(fake.push_update(_ping_update(len(pushes) + 1)))
                    # The ping schedule, not a sync: one chat, so at most one ping per 1.5 s
                    # (Telegram allows about one message per second per private chat).
                    await asyncio.sleep(1.5)
                cpu = time.process_time() - cpu0
                fake_cpu = _fake_cpu(fake) - fake_cpu0
            finally:
                await app.updater.stop()
                await app.stop()
                await services(app).worker.stop()
                assert app.post_stop is not None and app.post_shutdown is not None
                await app.post_stop(app)
                await app.shutdown()
                await app.post_shutdown(app)
        stats = fake.stats(PING_CHAT)
        replies = stats["to_chat"]
        latencies = [r - p for p, r in zip(pushes, replies, strict=False)]
        sends = stats["sent"] - len(replies)
        rate = (sends - 1) / (stats["last"] - stats["first"])
        return {
            "rate": rate,
            "rate_over_cap": rate / cap,
            "count_429": stats["count_429"],
            "cpu_per_1000": cpu / (sends / 1000),
            "fake_cpu_per_1000": fake_cpu / (sends / 1000),
            "ping_median_s": statistics.median(latencies) if latencies else float("nan"),
            "ping_max_s": max(latencies) if latencies else float("nan"),
            "paid_sends": stats["paid"],
        }
    finally:
        fake.stop()


def _fake_cpu(fake: FakeServer) -> float:
    """CPU-seconds the fake has used so far (Linux /proc): its ceiling bounds both loops."""
    fields = Path(f"/proc/{fake.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def bare_loop(messages: int) -> dict[str, float]:
    """What python-telegram-bot alone reaches: the same post (HTML, button, link preview) sent
    one after another with the same sender code, nothing read or recorded."""
    fake = FakeServer(global_rate=30)
    try:
        bot = Bot(TOKEN, base_url=fake.base_url)
        await bot.initialize()
        now = datetime.now(UTC)
        post = render_post(Article(1, **asdict(BIG_NEWS), first_seen_at=now, updated_at=now))
        sender = TelegramSender(bot, paid_broadcast=True)
        fake_cpu0 = _fake_cpu(fake)
        cpu0 = time.process_time()
        start = time.perf_counter()
        for n in range(messages):
            await sender.send_post(FIRST_SUBSCRIBER + n, post)
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu0
        fake_cpu = _fake_cpu(fake) - fake_cpu0
        await bot.shutdown()
        return {
            "rate": messages / elapsed,
            "cpu_per_1000": cpu / (messages / 1000),
            "fake_cpu_per_1000": fake_cpu / (messages / 1000),
        }
    finally:
        fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="target length of the capped run"
    )
    parser.add_argument("--skip-paid", action="store_true")
    args = parser.parse_args()
    cap = args.subscribers / args.seconds
    print(f"fan-out of {args.subscribers} at cap {cap:.0f}/s (free mode, scaled)")
    free = asyncio.run(engine_run(args.subscribers, cap, paid=False))
    for key, value in free.items():
        print(f"  {key}: {value:.3f}")
    if args.skip_paid:
        return
    print(f"paid mode: fan-out of {args.subscribers} at cap 1000/s, and a bare PTB send loop")
    # The bare loop runs before and after the engine and the faster of the two counts: on a
    # shared machine the load drifts, and the ratio must not flatter the engine.
    bare_runs = [asyncio.run(bare_loop(min(args.subscribers, 5000)))]
    paid = asyncio.run(engine_run(args.subscribers, 1000, paid=True))
    bare_runs.append(asyncio.run(bare_loop(min(args.subscribers, 5000))))
    bare = max(bare_runs, key=lambda run: run["rate"])
    goal = min(1000.0, bare["rate"])
    for key, value in paid.items():
        print(f"  {key}: {value:.3f}")
    print(
        f"  bare PTB loop: {bare['rate']:.0f}/s, CPU-s/1000 {bare['cpu_per_1000']:.3f}"
        f" (fake: {bare['fake_cpu_per_1000']:.3f}); engine / min(1000, bare) ="
        f" {paid['rate'] / goal:.3f}"
    )


if __name__ == "__main__":
    main()
