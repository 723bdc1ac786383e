"""File → channel post latency with the watcher: the real `feedbot run` (an hour between
scheduled runs, so only the watcher can post in time) on a SQLite database seeded with 100k
stored articles, against the fake Bot API in its own process. Article files are written into
the watched folder one at a time; each one's latency is from the moment its write completed to
the moment the fake received its sendMessage/sendPhoto.

    .venv/bin/python -m bench.latency                      # 50 files, 100k stored articles
    .venv/bin/python -m bench.latency --files 10 --articles 10000

A channel takes 20 messages a minute (jobs.pacing spaces its posts 3 s apart), so a file is
written no sooner than GAP seconds after the previous post arrived: what is measured is the
watcher and the run, not the channel's pace."""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.fake_server import TOKEN, FakeServer
from bench.scheduled_run import CHANNEL_ID, MIN_HEAT, seed
from jobs.pacing import GROUP_INTERVAL
from tests.article_factory import article_text

GAP = GROUP_INTERVAL + 0.5
VERBOSE = bool(os.environ.get("BENCH_VERBOSE"))  # BENCH_VERBOSE=1: show the bot's log


def _seed(url: str, articles: int) -> None:
    """The archive, with everything eligible already posted: a new file is all a run selects."""
    seed(url, articles, 1, datetime.now(UTC))
    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO deliveries (article_id, chat_id, status, attempts, next_attempt_at, "
            "message_id, created_at, sent_at) "
            f"SELECT id, {CHANNEL_ID}, 'sent', 1, first_seen_at, id, first_seen_at, first_seen_at "
            f"FROM articles WHERE heat >= {MIN_HEAT} AND id NOT IN "
            f"(SELECT article_id FROM deliveries WHERE chat_id = {CHANNEL_ID})"
        )


def _config(folder: Path, fake: FakeServer, url: str) -> Path:
    return fake.write_config(
        folder,
        url,
        sources=[{"path": "articles", "watch": True}],
        publish={"min_heat": MIN_HEAT, "max_age_hours": 24, "max_per_run": 5},
        logging={"level": "INFO" if VERBOSE else "WARNING"},
    )


def _next_post(fake: FakeServer, seen: int, bot: subprocess.Popen[bytes], within: float) -> float:
    """The fake's arrival time (monotonic, the same clock here) of the channel's next post."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:  # sampling the fake's record, not timing by it
        arrivals = fake.stats(CHANNEL_ID)["to_chat"]
        if len(arrivals) > seen:
            return float(arrivals[seen])
        if bot.poll() is not None:
            raise SystemExit(f"the bot exited with {bot.returncode}")
        time.sleep(0.01)
    raise SystemExit(f"no channel post within {within} s")


def measure(files: int, articles: int) -> list[float]:
    latencies: list[float] = []
    with tempfile.TemporaryDirectory(prefix="feedbot-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        _seed(url, articles)
        folder = Path(tmp) / "articles"
        folder.mkdir()
        fake = FakeServer(global_rate=30)
        try:
            fake.add_chat(CHANNEL_ID, "channel", "my_ai_news")
            bot = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bot",
                    "run",
                    "--config",
                    str(_config(Path(tmp), fake, url)),
                ],
                env={**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN},
                stderr=None if VERBOSE else subprocess.DEVNULL,
            )
            try:
                # Warm-up, not measured: the watch is up once a file of it is posted.
                last = 0.0
                for n in range(files + 1):
                    time.sleep(max(0.0, last + GAP - time.monotonic()))
                    path = folder / f"new-{n}.md"
                    path.write_text(article_text(url=f"https://example.com/latency/{n}", heat=1000))
                    written = time.monotonic()
                    last = _next_post(fake, n, bot, within=60.0 if n == 0 else 20.0)
                    if n:
                        latencies.append(last - written)
            finally:
                bot.send_signal(signal.SIGTERM)
                code = bot.wait(60)
            if code:
                raise SystemExit(f"the bot exited with {code} after SIGTERM")
        finally:
            fake.stop()
    return latencies


def _quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--articles", type=int, default=100_000)
    args = parser.parse_args()
    latencies = measure(args.files, args.articles)
    print(
        f"file -> channel post with the watcher, {args.files} files one at a time, "
        f"{args.articles} stored articles (SQLite): p50 {statistics.median(latencies):.2f} s, "
        f"p99 {_quantile(latencies, 0.99):.2f} s, max {max(latencies):.2f} s (goal: p50 <= 2 s)"
    )


if __name__ == "__main__":
    main()
