"""Fan-out benchmark: the real bot (Application, worker, SQLite outbox) sends one article to
N subscribers through the fake Bot API enforcing Telegram's limits in another process.

    .venv/bin/python -m bench.fanout   # 10k subscribers, cap scaled to ~60 s, then paid mode
    .venv/bin/python -m bench.fanout --subscribers 2000 --seconds 10
    .venv/bin/python -m bench.fanout --skip-free   # paid mode and the reference loops only

Reports ratios measured in this run: achieved rate / cap, 429s, CPU-ms per message (the bot's,
without the bench's own calls to the fake's control endpoint made in its process, which are
reported apart; and the fake's), a command's answer latency while the fan-out runs, and, in
paid mode (1000/s), the engine against two reference loops sending the same post
(bench.reference_loops): its CPU per message ÷ a raw aiohttp POST loop's and a bare
python-telegram-bot loop's, and its rate ÷ min(1000/s, the raw loop's rate).

Paid mode runs in rounds (--rounds, 3 by default), each the raw loop, the engine's whole
fan-out and the bare loop one after another, so that the load of a shared machine falls on all
three alike; every figure of paid mode is the median of the rounds' (a ratio is the ratio of
the medians), and each round's is printed too."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bench.fake_server import TOKEN, FakeServer
from bench.reference_loops import bare_loop, fake_cpu, raw_loop
from bot.app import build_application
from bot.config import Config, parse_config
from bot.services import services
from storage.database import upgrade_to_head
from tests.seeding import seed_fan_out_at

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


def _config(fake: FakeServer, url: str, cap: float, *, paid: bool, tmp: Path) -> Config:
    return parse_config(
        f"""
telegram: {{token: "{TOKEN}", api_base_url: "{fake.base_url}", channel: "@my_ai_news"}}
database: {{url: "{url}"}}
schedule: {{interval_seconds: 3600}}
delivery: {{max_messages_per_second: {cap}, paid_broadcast: {str(paid).lower()}}}
logging: {{level: WARNING}}
""",
        path=tmp / "config.yaml",
        env={},
    )


async def _start(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    assert app.post_init is not None
    await app.post_init(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(timeout=5)


async def _stop(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    assert app.updater is not None
    await app.updater.stop()
    await app.stop()
    await services(app).worker.stop()
    assert app.post_stop is not None and app.post_shutdown is not None
    await app.post_stop(app)
    await app.shutdown()
    await app.post_shutdown(app)


async def _ping_until_sent(fake: FakeServer, subscribers: int) -> tuple[list[float], float]:
    """Pings the bot until every subscriber has the post; returns when each ping was pushed,
    and the CPU-seconds the bench's own calls to the fake's control endpoint took here."""
    pushes: list[float] = []
    control = 0.0
    while True:
        # The bench's calls run in the bot's process (urllib, blocking): their CPU is the
        # bench's, not the bot's, and is taken out of the engine's (the reference loops make
        # none in their measured part).
        started = time.thread_time()
        stats = fake.stats(PING_CHAT)
        done = stats["sent"] - len(stats["to_chat"]) >= subscribers
        if not done:
            pushes.append(fake.push_update(_ping_update(len(pushes) + 1)))
        control += time.thread_time() - started
        if done:
            return pushes, control
        # The ping schedule, not a sync: one chat, so at most one ping per 1.5 s
        # (Telegram allows about one message per second per private chat).
        await asyncio.sleep(1.5)


def _results(
    fake: FakeServer,
    pushes: list[float],
    cap: float,
    cpu: tuple[float, float],
    fake_seconds: float,
) -> dict[str, float]:
    """`cpu`: the bot process's CPU-seconds during the fan-out, and the part of them the
    bench's own control calls took."""
    stats = fake.stats(PING_CHAT)
    replies = stats["to_chat"]
    latencies = [r - p for p, r in zip(pushes, replies, strict=False)]
    sends = stats["sent"] - len(replies)
    rate = (sends - 1) / (stats["last"] - stats["first"])
    return {
        "rate": rate,
        "rate_over_cap": rate / cap,
        "count_429": stats["count_429"],
        "cpu_ms_per_message": 1000 * (cpu[0] - cpu[1]) / sends,
        "bench_calls_cpu_ms_per_message": 1000 * cpu[1] / sends,
        "fake_cpu_ms_per_message": 1000 * fake_seconds / sends,
        "ping_median_s": statistics.median(latencies) if latencies else float("nan"),
        "ping_max_s": max(latencies) if latencies else float("nan"),
        "paid_sends": stats["paid"],
    }


async def engine_run(subscribers: int, cap: float, *, paid: bool) -> dict[str, float]:
    fake = FakeServer(global_rate=30 if paid else cap)
    try:
        fake.add_chat(CHANNEL_ID, "channel", "my_ai_news")
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            await _seed(url, subscribers)
            app = build_application(_config(fake, url, cap, paid=paid, tmp=Path(tmp)))
            fake_cpu0 = fake_cpu(fake)
            app.add_handler(CommandHandler("benchping", _ping))
            await app.initialize()
            cpu0 = time.process_time()
            await _start(app)
            try:
                pushes, control = await _ping_until_sent(fake, subscribers)
                cpu = (time.process_time() - cpu0, control)
                fake_seconds = fake_cpu(fake) - fake_cpu0
            finally:
                await _stop(app)
        return _results(fake, pushes, cap, cpu, fake_seconds)
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
    parser.add_argument("--skip-free", action="store_true")
    parser.add_argument("--rounds", type=int, default=3, help="paid mode's rounds")
    args = parser.parse_args()
    if not args.skip_free:
        cap = args.subscribers / args.seconds
        print(f"fan-out of {args.subscribers} at cap {cap:.0f}/s (free mode, scaled)")
        free = asyncio.run(engine_run(args.subscribers, cap, paid=False))
        for key, value in free.items():
            print(f"  {key}: {value:.3f}")
    if args.skip_paid:
        return
    print(
        f"paid mode: fan-out of {args.subscribers} at cap 1000/s, against two reference loops,"
        f" {args.rounds} rounds"
    )
    loop_messages = min(args.subscribers, 5000)
    rounds: list[tuple[dict[str, float], dict[str, float], dict[str, float]]] = []
    for number in range(1, args.rounds + 1):
        # One round: the loops and the engine back to back, so a round's load is theirs alike.
        raw = asyncio.run(raw_loop(loop_messages))
        paid = asyncio.run(engine_run(args.subscribers, 1000, paid=True))
        bare = asyncio.run(bare_loop(loop_messages))
        rounds.append((paid, raw, bare))
        print(
            f"  round {number}: engine {paid['cpu_ms_per_message']:.3f} ms/message at"
            f" {paid['rate']:.0f}/s, raw loop {raw['cpu_ms_per_message']:.3f} at"
            f" {raw['rate']:.0f}/s, bare loop {bare['cpu_ms_per_message']:.3f} at"
            f" {bare['rate']:.0f}/s: engine ÷ raw"
            f" {paid['cpu_ms_per_message'] / raw['cpu_ms_per_message']:.2f}"
        )
    _report(*(_medians([run[i] for run in rounds]) for i in range(3)))


def _medians(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def _report(paid: dict[str, float], raw: dict[str, float], bare: dict[str, float]) -> None:
    print("  medians of the rounds:")
    for key, value in paid.items():
        print(f"  {key}: {value:.3f}")
    for name, run in (("raw aiohttp loop", raw), ("bare PTB loop (httpx)", bare)):
        print(
            f"  {name}: {run['rate']:.0f}/s, CPU-ms/message {run['cpu_ms_per_message']:.3f}"
            f" (fake: {run['fake_cpu_ms_per_message']:.3f})"
        )
    goal = min(1000.0, raw["rate"])
    with_calls = paid["cpu_ms_per_message"] + paid["bench_calls_cpu_ms_per_message"]
    print(
        f"  engine CPU/message ÷ raw loop's: "
        f"{paid['cpu_ms_per_message'] / raw['cpu_ms_per_message']:.2f} (goal ≤ 1.5; "
        f"{with_calls / raw['cpu_ms_per_message']:.2f} with the bench's control calls)\n"
        f"  engine CPU/message ÷ bare PTB loop's: "
        f"{paid['cpu_ms_per_message'] / bare['cpu_ms_per_message']:.2f}\n"
        f"  paid rate ÷ min(1000, raw rate): {paid['rate'] / goal:.3f} (goal ≥ 0.9)"
    )


if __name__ == "__main__":
    main()
