"""The running bot's memory with a large archive: `feedbot run` itself (Application, JobQueue,
delivery worker, polling), on a SQLite database seeded with 1M articles and 100k subscribers,
against the fake Bot API. Its first scheduled run selects and fans out to the subscribers, and
the worker sends for a while; the bot's peak RSS (VmHWM) is read from /proc while it does.

    .venv/bin/python -m bench.bot_rss                        # 1M articles, 100k subscribers
    .venv/bin/python -m bench.bot_rss --articles 100000 --seconds 20
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.fake_server import TOKEN, FakeServer
from bench.procfs import status_mb
from bench.scheduled_run import CHANNEL_ID, seed

CAP = 1000  # the most the config allows: memory under the fastest fan-out
VERBOSE = bool(os.environ.get("BENCH_VERBOSE"))  # BENCH_VERBOSE=1: show the bot's log


def measure(articles: int, subscribers: int, seconds: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="feedbot-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        seed(url, articles, subscribers, datetime.now(UTC))
        fake = FakeServer(global_rate=CAP)
        try:
            fake.add_chat(CHANNEL_ID, "channel", "my_ai_news")
            config = fake.write_config(
                Path(tmp),
                url,
                delivery={"max_messages_per_second": CAP},
                logging={"level": "INFO" if VERBOSE else "WARNING"},
            )
            bot = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", "--config", str(config)],
                env={**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN},
                stderr=None if VERBOSE else subprocess.DEVNULL,
            )
            try:
                start = time.monotonic()
                while time.monotonic() - start < seconds:  # sampling, not synchronisation
                    time.sleep(1.0)
                    if bot.poll() is not None:
                        raise SystemExit(f"the bot exited with {bot.returncode}")
                sent = int(fake.stats()["sent"])
                peak = status_mb(bot.pid, "VmHWM")
                now = status_mb(bot.pid, "VmRSS")
            finally:
                bot.send_signal(signal.SIGTERM)
                bot.wait(60)
        finally:
            fake.stop()
    return {"sent": sent, "peak_rss_mb": peak, "rss_mb": now, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=40.0, help="how long the bot runs")
    args = parser.parse_args()
    result = measure(args.articles, args.subscribers, args.seconds)
    print(
        f"feedbot run with {args.articles} articles and {args.subscribers} subscribers (SQLite): "
        f"{result['sent']:.0f} messages sent in {result['seconds']:.0f} s; "
        f"peak RSS {result['peak_rss_mb']:.0f} MB (now {result['rss_mb']:.0f} MB; goal <= 120)"
    )


if __name__ == "__main__":
    main()
