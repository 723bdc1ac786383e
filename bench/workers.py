"""Delivery workers: the real `feedbot run` alone, then with one and two `feedbot worker`
processes beside it, on one PostgreSQL database, draining 20k deliveries (2 articles × 10k
private chats) at the paid cap (1000/s) against the fake Bot API in its own process, which
enforces Telegram's limits.

    .venv/bin/python -m bench.workers
    .venv/bin/python -m bench.workers --chats 2000 --workers 1 3

Reports, per number of delivery processes: the rate (and ÷ cap), 429 answers, duplicates,
per-chat violations (two messages to one chat closer than half its interval: two workers at
once), the busiest rolling second ÷ cap (the shared cap held?), and CPU-seconds per 1000
messages of the bot processes together and of the fake."""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from bench.fake_server import TOKEN, FakeServer
from bench.ingest import _drop_postgres_db, _postgres_db
from bench.procfs import cpu_seconds
from jobs.pacing import FREE_CAP
from storage.database import create_engine, create_sessionmaker, upgrade_to_head
from storage.unit_of_work import UnitOfWork
from tests.bot_process import BotProcess
from tests.seeding import queue_news

CHANNEL_ID = -1001234567890
FIRST_CHAT = 1_000_000
CAP = 1000.0
VERBOSE = bool(os.environ.get("BENCH_VERBOSE"))  # BENCH_VERBOSE=1: show the bots' logs
ADMIN = os.environ.get("FEEDBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


async def _seed(url: str, chats: range, articles: int) -> None:
    now = datetime.now(UTC)
    engine = create_engine(url)
    try:
        async with UnitOfWork(create_sessionmaker(engine)) as tx:
            # One statement for the chats: ensure_chat per chat would be most of the seeding.
            await tx.chats.session.execute(
                text(
                    "INSERT INTO chats (id, kind, active, created_at, updated_at) "
                    "SELECT g, 'private', true, now(), now() FROM generate_series(:a, :b) g"
                ),
                {"a": chats.start, "b": chats.stop - 1},
            )
            await queue_news(tx, chats, articles, now, heat=50)
    finally:
        await engine.dispose()


def _config(folder: Path, fake: FakeServer, url: str, cap: float, paid: bool) -> Path:
    # min_heat above the seeded articles' heat: the bot's own runs add nothing to the outbox.
    return fake.write_config(
        folder,
        url,
        publish={"min_heat": 100},
        delivery={"max_messages_per_second": cap, "paid_broadcast": paid},
        logging={"level": "INFO"},
    )


def measure(
    processes: int,
    chats: int,
    articles: int,
    *,
    cap: float = CAP,
    join_after: float | None = None,
) -> dict[str, float]:
    """`join_after`: the last worker starts that many seconds after the first send arrived
    (a worker joining mid-fan-out: the moment shares change)."""
    total = chats * articles
    url, name = _postgres_db(ADMIN)
    paid = cap > FREE_CAP  # the paid cap, or a free-mode cap the fake enforces as Telegram's
    fake = FakeServer(global_rate=30 if paid else cap)
    try:
        fake.add_chat(CHANNEL_ID, "channel", "my_ai_news")
        upgrade_to_head(url)
        asyncio.run(_seed(url, range(FIRST_CHAT, FIRST_CHAT + chats), articles))
        with tempfile.TemporaryDirectory(prefix="feedbot-bench-") as tmp:
            config = str(_config(Path(tmp), fake, url, cap, paid))
            fake_cpu0 = cpu_seconds(fake.proc.pid)
            cpu = _drain(fake, config, processes, total, join_after)
            fake_cpu = cpu_seconds(fake.proc.pid) - fake_cpu0
        report = fake.report(FIRST_CHAT)
    finally:
        fake.stop()
        _drop_postgres_db(ADMIN, name)
    rate = (report["sent"] - 1) / (report["last"] - report["first"])
    return {
        "rate": rate,
        "rate_over_cap": rate / cap,
        "count_429": report["count_429"],
        "duplicates": report["duplicates"],
        "chat_violations": report["chat_violations"],
        "busiest_second_over_cap": report["busiest_second"] / cap,
        "cpu_per_1000": cpu / (report["sent"] / 1000),
        "fake_cpu_per_1000": fake_cpu / (report["sent"] / 1000),
        "undelivered": total - report["sent"] + report["duplicates"],
    }


def _drain(
    fake: FakeServer, config: str, processes: int, total: int, join_after: float | None
) -> float:
    """Start `feedbot run` and the workers, wait until the fake has `total` sends, stop them;
    returns the CPU-seconds they used."""
    env = {"TELEGRAM_BOT_TOKEN": TOKEN}
    started = [BotProcess("run", "--config", config, env=env)]
    late = join_after is not None
    started.extend(
        BotProcess("worker", "--config", config, env=env) for _ in range(processes - 1 - late)
    )
    try:
        deadline = time.monotonic() + 60 + total / 100
        first_send: float | None = None
        while (sent := fake.stats()["sent"]) < total:
            if first_send is None and sent:
                first_send = time.monotonic()
            if (
                late
                and first_send is not None
                and time.monotonic() - first_send >= (join_after or 0)
            ):
                started.append(BotProcess("worker", "--config", config, env=env))
                late = False
            if time.monotonic() > deadline or any(p.proc.poll() is not None for p in started):
                raise RuntimeError(f"fan-out incomplete: {sent} of {total}")
            time.sleep(0.2)
        cpu = sum(cpu_seconds(p.proc.pid) for p in started)
        for process in started:
            process.terminate()
            if VERBOSE:
                print(process.log[-4000:])
        return cpu
    finally:
        for process in started:
            if process.proc.poll() is None:
                process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--articles", type=int, default=2)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument(
        "--cap-check",
        type=float,
        default=150.0,
        metavar="CAP",
        help="then 3 processes at this free-mode cap (which they can exceed: the fake answers"
        " 429 above it), the last joining mid-way, 3000 deliveries (0: skip)",
    )
    args = parser.parse_args()
    print(
        f"{args.chats * args.articles} deliveries ({args.articles} articles × {args.chats} chats)"
        f" at the paid cap ({CAP:.0f}/s), PostgreSQL"
    )
    for n in args.workers:
        title = f"{n} delivery process(es): feedbot run + {n - 1} feedbot worker"
        print(title, flush=True)
        _print(measure(n, args.chats, args.articles))
    if args.cap_check:
        cap = args.cap_check
        print(f"the shared cap: 3 processes at {cap:g}/s, the third joining 5 s in", flush=True)
        _print(measure(3, 1500, 2, cap=cap, join_after=5.0))


def _print(result: dict[str, float]) -> None:
    for key, value in result.items():
        print(f"  {key}: {value:.3f}", flush=True)


if __name__ == "__main__":
    main()
