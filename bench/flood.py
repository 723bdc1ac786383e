"""Flood benchmark: `feedbot run` (a subprocess) while 200 users send 10 commands each at once and
a 10k fan-out runs, against the fake Bot API enforcing Telegram's limits (30 messages/s overall)
in another process. A quiet user sends /help every 2 s throughout.

    .venv/bin/python -m bench.flood
    .venv/bin/python -m bench.flood --users 50 --commands 5 --subscribers 2000

Reports the quiet user's answer latency (p50, p99: push to the fake receiving the answer, on the
fake's clock) for the commands sent once the bot had fetched the flood, and apart from them the
few sent while the flood still waited in the fake's getUpdates queue (they come out behind it);
how long the flood took to fetch and to answer, how much of it was answered, the 429s, the
fan-out sends meanwhile, and the bot's peak RSS (VmHWM)."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.fake_server import TOKEN, FakeServer
from bench.procfs import status_mb
from storage.database import upgrade_to_head
from tests.seeding import seed_fan_out_at

CHANNEL_ID = -1001234567890
QUIET = 99
FIRST_FLOODER = 2000
FIRST_SUBSCRIBER = 1_000_000
QUIET_EVERY = 2.0  # seconds between the quiet user's commands: well within one chat's limit
VERBOSE = bool(os.environ.get("BENCH_VERBOSE"))  # BENCH_VERBOSE=1: show the bot's log


def command(chat_id: int, message_id: int, text: str = "/help") -> dict[str, Any]:
    return {
        "message": {
            "message_id": message_id,
            "date": int(time.time()),
            "text": text,
            "chat": {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"},
            "from": {"id": chat_id, "is_bot": False, "first_name": f"User {chat_id}"},
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        }
    }


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _start_bot(tmp: Path, fake: FakeServer, url: str) -> subprocess.Popen[bytes]:
    config = fake.write_config(
        tmp,
        url,
        delivery={"max_messages_per_second": 30},
        logging={"level": "INFO" if VERBOSE else "WARNING"},
    )
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--config", str(config)],
        env={**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN},
        stderr=None if VERBOSE else subprocess.DEVNULL,
    )


def _flood_and_ping(
    fake: FakeServer, bot: subprocess.Popen[bytes], users: int, commands: int, limit: float
) -> dict[str, float]:
    flooders = (FIRST_FLOODER, FIRST_FLOODER + users - 1)
    flood = [command(FIRST_FLOODER + user, n + 1) for n in range(commands) for user in range(users)]
    before = fake.stats()
    flood_at = fake.push_updates(flood)
    pushes: list[float] = []
    fetched_at = None  # when the bot had fetched the whole flood from the fake
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:  # the quiet user's schedule, not a synchronisation
        pushes.append(fake.push_update(command(QUIET, len(pushes) + 1)))
        time.sleep(QUIET_EVERY)
        if bot.poll() is not None:
            raise SystemExit(f"the bot exited with {bot.returncode}")
        stats = fake.stats(QUIET, flooders)
        if fetched_at is None and stats["pending"] == 0:
            fetched_at = stats["now"]
        if stats["to_range"] >= len(flood) and len(stats["to_chat"]) == len(pushes):
            break
    time.sleep(QUIET_EVERY)  # the last answers, and whatever a drop left over
    stats = fake.stats(QUIET, flooders)
    answered = stats["to_chat"]
    pairs = list(zip(pushes, answered, strict=False))
    # A command sent while the flood still waited in Telegram's queue comes out behind it (the
    # bot cannot fetch it sooner): counted apart from the ones after.
    behind = [reply - push for push, reply in pairs if fetched_at is None or push < fetched_at]
    latencies = [reply - push for push, reply in pairs if fetched_at and push >= fetched_at]
    if os.environ.get("BENCH_LATENCIES"):
        print("latencies behind / after", [round(x, 2) for x in behind], latencies)
    fan_out = stats["sent"] - before["sent"] - stats["to_range"] - len(answered)
    return {
        "quiet_commands": len(pushes),
        "quiet_answered": len(answered),
        "quiet_p50_s": statistics.median(latencies) if latencies else float("nan"),
        "quiet_p99_s": _percentile(latencies, 0.99) if latencies else float("nan"),
        "quiet_sent_during_intake": len(behind),
        "quiet_max_during_intake_s": max(behind) if behind else float("nan"),
        "flood_intake_s": (fetched_at or float("nan")) - flood_at,
        "flood_commands": len(flood),
        "flood_answered": stats["to_range"],
        "flood_seconds": stats["now"] - flood_at,
        "fan_out_sends_meanwhile": fan_out,
        "count_429": stats["count_429"] - before["count_429"],
        "peak_rss_mb": status_mb(bot.pid, "VmHWM"),
    }


def measure(users: int, commands: int, subscribers: int, limit: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="feedbot-flood-") as name:
        tmp = Path(name)
        url = f"sqlite:///{tmp / 'bench.db'}"
        upgrade_to_head(url)
        # Heat below min_heat: the bot's own runs never select it; the outbox holds the fan-out.
        chats = range(FIRST_SUBSCRIBER, FIRST_SUBSCRIBER + subscribers)
        asyncio.run(seed_fan_out_at(url, chats, heat=50))
        with FakeServer(global_rate=30) as fake:
            fake.add_chat(CHANNEL_ID, "channel", "my_ai_news")
            bot = _start_bot(tmp, fake, url)
            try:
                start = time.monotonic()
                while fake.stats()["sent"] < 60:  # sampling: the fan-out two seconds under way
                    if bot.poll() is not None or time.monotonic() - start > 60:
                        raise SystemExit("the fan-out never started")
                    time.sleep(0.2)
                return _flood_and_ping(fake, bot, users, commands, limit)
            finally:
                bot.send_signal(signal.SIGTERM)
                bot.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--commands", type=int, default=10, help="commands per flooding user")
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--limit", type=float, default=180.0, help="give up after (seconds)")
    args = parser.parse_args()
    print(
        f"{args.users} users x {args.commands} commands at once, a quiet user every "
        f"{QUIET_EVERY:g} s, during a fan-out to {args.subscribers} (cap 30/s)"
    )
    result = measure(args.users, args.commands, args.subscribers, args.limit)
    for key, value in result.items():
        print(f"  {key}: {value:.3f}" if isinstance(value, float) else f"  {key}: {value}")


if __name__ == "__main__":
    main()
