"""Scheduled-run benchmark: one `publish_run` (nothing new to ingest, select, fan out to the
subscribers) against an archive of 100k and of 1M stored articles with 100k subscribers, on SQLite
and on a throwaway PostgreSQL database.

    .venv/bin/python -m bench.scheduled_run                       # SQLite and PostgreSQL
    .venv/bin/python -m bench.scheduled_run --articles 200000 --backends sqlite
    .venv/bin/python -m bench.scheduled_run --explain             # also print the query plans

The archive grows at a steady 300 articles a day, so a bigger archive is an older one: a run
must cost the same whatever its size (the database filters by the publication window through an
index). Each run is a subprocess, so its peak RSS is its own; it imports the bot (python-telegram-
bot included) first, so the RSS is that of a running bot. Reports time and RSS per size and the
ratio of the largest archive to the smallest (goal: about 1)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bench.scheduled_seeding import CHANNEL_ID, MIN_HEAT, Shares, seed

__all__ = ["CHANNEL_ID", "MIN_HEAT", "seed"]

RUN_RULES = {"min_heat": MIN_HEAT, "max_age_hours": 24, "max_per_run": 5}
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
# The digest share's slot comes this long after the run: its stories are in the period.
DIGEST_SLOT_AFTER = timedelta(minutes=2)


def _rss_mb() -> float:
    """Current RSS, from /proc (Linux)."""
    with open("/proc/self/statm") as statm:  # noqa: PTH123 - a pseudo-file read once
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def _child(url: str, explain: bool, digest_slot: datetime | None) -> dict[str, Any]:
    import bot.app  # noqa: F401 - a running bot has python-telegram-bot loaded
    from jobs.publishing import publish_run
    from jobs.selection import PublishRules
    from storage.database import create_engine, create_sessionmaker
    from storage.unit_of_work import UnitOfWork

    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    rules = PublishRules(
        min_heat=RUN_RULES["min_heat"],
        max_age=timedelta(hours=RUN_RULES["max_age_hours"]),
        max_per_run=RUN_RULES["max_per_run"],
    )
    executed: dict[str, Any] = {}
    if explain:
        from sqlalchemy import event

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def _record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            if statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
                executed.setdefault(statement, parameters)

    plans: dict[str, list[str]] = {}
    try:
        async with engine.connect() as conn:  # open the pool before measuring
            await conn.exec_driver_sql("SELECT 1")
        before = _rss_mb()
        with tempfile.TemporaryDirectory() as empty:
            start = time.perf_counter()
            report = await publish_run(
                lambda: UnitOfWork(sessions), [Path(empty)], rules, CHANNEL_ID
            )
            elapsed = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if explain:
            plans = await _plans(engine, executed)
        slot = {} if digest_slot is None else await _digest_slot(sessions, digest_slot)
    finally:
        await engine.dispose()
    return {
        "run_s": elapsed,
        "selected": len(report.selected),
        "fanned_out": report.fanned_out,
        "rss_before_mb": before,
        "peak_rss_mb": peak,
        "plans": plans,
        **slot,
    }


async def _digest_slot(sessions: Any, slot: datetime) -> dict[str, Any]:
    """The digest slot job at the seeded digests' slot, after the run: their digests list the
    stories the run opened."""
    from bot.digests import digest_text
    from jobs.digests import queue_digests
    from storage.state_keys import DIGEST_SLOTS_KEY
    from storage.unit_of_work import UnitOfWork

    def uow() -> UnitOfWork:
        return UnitOfWork(sessions)

    lines: dict[Any, Any] = {}  # the story lines, made once (bot.digests.renderer)
    async with uow() as tx:
        await tx.state.set(DIGEST_SLOTS_KEY, (slot - timedelta(minutes=1)).isoformat())
    start = time.perf_counter()
    queued = await queue_digests(
        uow,
        lambda digest: digest_text(digest, "en", lines),
        channel_id=CHANNEL_ID,
        min_heat=MIN_HEAT,
        clock=lambda: slot + timedelta(seconds=1),
    )
    return {
        "digest_slot_s": time.perf_counter() - start,
        "digests": queued,
        "slot_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


async def _plans(engine: Any, executed: dict[str, Any]) -> dict[str, list[str]]:
    """The plan of every distinct statement the run executed, with the run's own parameters."""
    sqlite = engine.dialect.name == "sqlite"
    plans: dict[str, list[str]] = {}
    async with engine.connect() as conn:
        for statement, parameters in executed.items():
            if not isinstance(parameters, tuple | dict):
                continue  # an executemany
            prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
            rows = await conn.exec_driver_sql(prefix + statement, parameters)
            lines = [str(row[-1]) for row in rows]
            plans[" ".join(statement.split())[:150]] = lines
    return plans


def run_child(url: str, explain: bool, digest_slot: datetime | None) -> dict[str, Any]:
    args = [sys.executable, "-m", "bench.scheduled_run", "--child", url]
    if explain:
        args.append("--explain")
    if digest_slot is not None:
        args += ["--digest-slot", digest_slot.isoformat()]
    out = subprocess.run(args, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def measure(
    backend: str, articles: int, subscribers: int, explain: bool, shares: Shares
) -> dict[str, Any]:
    now = datetime.now(UTC)
    slot = None
    if shares.digests:
        slot = (now + DIGEST_SLOT_AFTER).replace(second=0, microsecond=0)
        shares = Shares(shares.filters, shares.digests, slot.hour * 60 + slot.minute)
    with tempfile.TemporaryDirectory(prefix="feedbot-bench-") as tmp:
        if backend == "sqlite":
            url, name = f"sqlite:///{Path(tmp) / 'bench.db'}", ""
        else:
            import psycopg

            name = f"feedbot_bench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
            url = make_url(POSTGRES_ADMIN).set(database=name).render_as_string(False)
        try:
            start = time.perf_counter()
            seed(url, articles, subscribers, now, shares)
            seed_s = time.perf_counter() - start
            result = run_child(url, explain, slot)
        finally:
            if name:
                import psycopg

                with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
    return {"backend": backend, "articles": articles, "seed_s": seed_s, **result}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument(
        "--backends", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"]
    )
    parser.add_argument(
        "--filter-share", type=float, default=0.0, help="subscribers with a keyword filter"
    )
    parser.add_argument(
        "--digest-share",
        type=float,
        default=0.0,
        help="subscribers with a daily digest (the digest slot is timed after the run)",
    )
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    parser.add_argument("--child", metavar="DB_URL", help=argparse.SUPPRESS)
    parser.add_argument("--digest-slot", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        slot = datetime.fromisoformat(args.digest_slot) if args.digest_slot else None
        print(json.dumps(asyncio.run(_child(args.child, args.explain, slot))))
        return
    shares = Shares(args.filter_share, args.digest_share)
    print(
        f"scheduled run: {args.subscribers} subscribers ({shares.filters:.0%} with a filter, "
        f"{shares.digests:.0%} with a digest), {os.cpu_count()} CPUs"
    )
    print(
        f"{'backend':>10} {'articles':>9} {'seed s':>7} {'run s':>6} {'selected':>8} "
        f"{'fan-out':>8} {'RSS before MB':>13} {'peak RSS MB':>11}"
    )
    for backend in args.backends:
        rows = []
        for articles in args.articles:
            r = measure(backend, articles, args.subscribers, args.explain, shares)
            rows.append(r)
            _print_row(backend, articles, r)
        if len(rows) > 1:
            small, large = rows[0], rows[-1]
            print(
                f"{backend:>10} {large['articles']}/{small['articles']} articles: "
                f"time x{large['run_s'] / small['run_s']:.2f}, "
                f"peak RSS x{large['peak_rss_mb'] / small['peak_rss_mb']:.2f} (goal: about 1)"
            )


def _print_row(backend: str, articles: int, r: dict[str, Any]) -> None:
    print(
        f"{backend:>10} {articles:>9} {r['seed_s']:>7.1f} {r['run_s']:>6.2f} "
        f"{r['selected']:>8} {r['fanned_out']:>8} {r['rss_before_mb']:>13.0f} "
        f"{r['peak_rss_mb']:>11.0f}",
        flush=True,
    )
    if "digests" in r:
        print(
            f"{'':>10} digest slot: {r['digests']} digests queued in {r['digest_slot_s']:.2f} s, "
            f"peak RSS {r['slot_peak_rss_mb']:.0f} MB",
            flush=True,
        )
    for name, plan in r["plans"].items():
        print(f"    plan of {name}:")
        for line in plan:
            print(f"      {line}")


if __name__ == "__main__":
    main()
