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
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from storage.records import topic_key
from tests.topic_names import CORPUS_TOPICS

CHANNEL_ID = -1001234567890
FIRST_SUBSCRIBER = 1_000_000
PER_DAY = 300  # articles a day: the archive's age is its size / PER_DAY
MIN_HEAT = 100
RUN_RULES = {"min_heat": MIN_HEAT, "max_age_hours": 24, "max_per_run": 5}
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


# -- seeding: set-based SQL, a few statements for a million rows ------------------------------


Statement = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class _Sql:
    """The dialect's spelling of what the seeding statements need."""

    now: str  # the run's "now" as a timestamp
    published_at: str  # article i's publication time
    heat: str  # article i's heat, spread over 0..284
    series: str  # SELECT {cols} over i = 1..:n
    chats: str  # SELECT {cols} over i = 1..:s
    true: str
    false: str


def _dialect_sql(dialect: str) -> _Sql:
    if dialect == "sqlite":
        numbers = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {})"
        # SQLAlchemy stores naive UTC as 'YYYY-MM-DD HH:MM:SS.ffffff' on SQLite.
        stamp = "strftime('%Y-%m-%d %H:%M:%S', {}, 'unixepoch') || '.000000'"
        now_sql = stamp.format(":newest")
        published_at = stamp.format(":newest - (:n - i) * :step")
        heat = "(i * 7919 % 285)"
        series = numbers.format(":n") + " SELECT {cols} FROM n"
        chats = numbers.format(":s") + " SELECT {cols} FROM n"
        true, false = "1", "0"
    else:
        now_sql = "to_timestamp(:newest)"
        published_at = "to_timestamp(:newest - (:n - i) * :step)"
        heat = "(i::bigint * 7919 % 285)::int"
        series = "SELECT {cols} FROM generate_series(1, :n) AS i"
        chats = "SELECT {cols} FROM generate_series(1, :s) AS i"
        true, false = "true", "false"
    return _Sql(now_sql, published_at, heat, series, chats, true, false)


def _topic_statements() -> list[Statement]:
    rows = [{"id": t + 1, "name": n, "key": topic_key(n)} for t, n in enumerate(CORPUS_TOPICS)]
    return [("INSERT INTO topics (id, name, key) VALUES (:id, :name, :key)", {"_many": rows})]


def _article_statements(sql: _Sql, params: dict[str, Any]) -> list[Statement]:
    topics = len(CORPUS_TOPICS)
    article_cols = (
        f"i, 'https://example.com/news/' || i, 'https://example.com/news/' || i, "
        f"'Article ' || i, 'An excerpt of some length for article ' || i, 'Example News', "
        f"'example.com', 'https://img.example.com/' || i || '.jpg', {sql.heat}, "
        f"CASE WHEN i % 10 = 0 THEN {sql.false} ELSE {sql.true} END, {sql.published_at}, "
        f"'/archive/' || i || '.md', i, {sql.now}, {sql.now}"
    )
    return [
        (
            "INSERT INTO articles (id, url, link, title, excerpt, source_name, source_domain, "
            "image_url, heat, published, published_at, source_path, source_mtime_ns, "
            "first_seen_at, updated_at) " + sql.series.format(cols=article_cols),
            params,
        ),
        # Every article has its own image, and every 50th the site's default one before it.
        (
            "INSERT INTO article_images (article_id, position, url, url_key) "
            "SELECT id, 1, image_url, image_url FROM articles",
            {},
        ),
        (
            "INSERT INTO article_images (article_id, position, url, url_key) "
            "SELECT id, 0, 'https://img.example.com/default.png', "
            "'https://img.example.com/default.png' FROM articles WHERE id % 50 = 0",
            {},
        ),
        # "AI" on every article, as in the real feed, and a second topic on half of them.
        ("INSERT INTO article_topics (article_id, topic_id) SELECT id, 1 FROM articles", {}),
        (
            f"INSERT INTO article_topics (article_id, topic_id) "
            f"SELECT id, 2 + id % {topics - 1} FROM articles WHERE id % 2 = 0",
            {},
        ),
    ]


def _chat_statements(sql: _Sql, params: dict[str, Any]) -> list[Statement]:
    topics = len(CORPUS_TOPICS)
    chat_cols = (
        f":first + i, 'private', NULL, CASE WHEN i % 20 = 0 THEN {sql.false} ELSE {sql.true} END, "
        f"{sql.now}, {sql.now}"
    )
    return [
        (
            "INSERT INTO chats (id, kind, title, active, created_at, updated_at) "
            f"VALUES ({CHANNEL_ID}, 'channel', 'bench', {sql.true}, {sql.now}, {sql.now})",
            params,
        ),
        (
            "INSERT INTO chats (id, kind, title, active, created_at, updated_at) "
            + sql.chats.format(cols=chat_cols),
            params,
        ),
        # Every 7th subscriber has its own /heat threshold (its settings row, thread 0).
        (
            "INSERT INTO chat_settings (chat_id, thread_id, silent, compact, link_preview, "
            "min_heat, filters, digest, digest_minute, timezone, active, updated_at) "
            f"SELECT id, 0, {sql.false}, {sql.false}, {sql.true}, 150, '', 'off', 0, 'UTC', "
            f"{sql.true}, {sql.now} FROM chats WHERE kind = 'private' AND (id - :first) % 7 = 0",
            params,
        ),
        # Every subscriber follows "AI" (the fan-out is to all of them) and one more topic.
        (
            f"INSERT INTO subscriptions (chat_id, topic_id, created_at) "
            f"SELECT id, 1, {sql.now} FROM chats WHERE kind = 'private'",
            params,
        ),
        (
            f"INSERT INTO subscriptions (chat_id, topic_id, created_at) "
            f"SELECT id, 2 + id % {topics - 1}, {sql.now} FROM chats WHERE kind = 'private'",
            params,
        ),
    ]


def _delivery_statements(sql: _Sql, params: dict[str, Any]) -> list[Statement]:
    day_ago = sql.now.replace(":newest", "(:newest - 86400)")
    # The channel has posted every eligible article older than the run's window.
    return [
        (
            "INSERT INTO deliveries (article_id, chat_id, status, attempts, next_attempt_at, "
            "message_id, created_at, sent_at) "
            f"SELECT id, {CHANNEL_ID}, 'sent', 1, first_seen_at, id, first_seen_at, first_seen_at "
            f"FROM articles WHERE heat >= {MIN_HEAT} AND published_at < {day_ago}",
            params,
        )
    ]


def _seed_statements(
    dialect: str, articles: int, subscribers: int, now: datetime
) -> list[Statement]:
    step = 86_400 // PER_DAY  # seconds between two articles
    params: dict[str, Any] = {
        "n": articles,
        "s": subscribers,
        "newest": int(now.timestamp()),
        "step": step,
        "first": FIRST_SUBSCRIBER,
    }
    sql = _dialect_sql(dialect)
    return (
        _topic_statements()
        + _article_statements(sql, params)
        + _chat_statements(sql, params)
        + _delivery_statements(sql, params)
    )


def seed(url: str, articles: int, subscribers: int, now: datetime) -> None:
    from storage.database import upgrade_to_head

    upgrade_to_head(url)
    parsed = make_url(url)
    dialect = parsed.get_backend_name()
    statements = _seed_statements(dialect, articles, subscribers, now)
    if dialect == "sqlite":
        assert parsed.database
        conn = sqlite3.connect(parsed.database)
        try:
            for sql, params in statements:
                if "_many" in params:
                    conn.executemany(sql, params["_many"])
                else:
                    conn.execute(sql, {k: v for k, v in params.items() if f":{k}" in sql})
            conn.execute("ANALYZE")
            conn.commit()
        finally:
            conn.close()
        return
    import psycopg

    libpq = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as pg:
        for sql, params in statements:
            pg_sql = _pyformat(sql, params)
            if "_many" in params:
                with pg.cursor() as cursor:
                    cursor.executemany(pg_sql, params["_many"])
            else:
                pg.execute(pg_sql, params)  # type: ignore[call-overload]
        for table in ("articles", "topics"):  # ids given explicitly: move the sequences on
            pg.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # type: ignore[call-overload]
                f"(SELECT max(id) + 1 FROM {table}), false)"
            )
        pg.execute("VACUUM ANALYZE")


def _pyformat(sql: str, params: dict[str, Any]) -> str:
    names = set(params) | (set(params["_many"][0]) if "_many" in params else set())
    sql = sql.replace("%", "%%")  # the modulo operator, not a placeholder
    for name in sorted(names, key=len, reverse=True):
        sql = sql.replace(f":{name}", f"%({name})s")
    return sql


# -- the measured run (a subprocess) ----------------------------------------------------------


def _rss_mb() -> float:
    """Current RSS, from /proc (Linux)."""
    with open("/proc/self/statm") as statm:  # noqa: PTH123 - a pseudo-file read once
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def _child(url: str, explain: bool) -> dict[str, Any]:
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
        if explain:
            plans = await _plans(engine, executed)
    finally:
        await engine.dispose()
    return {
        "run_s": elapsed,
        "selected": len(report.selected),
        "fanned_out": report.fanned_out,
        "rss_before_mb": before,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "plans": plans,
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


def run_child(url: str, explain: bool) -> dict[str, Any]:
    args = [sys.executable, "-m", "bench.scheduled_run", "--child", url]
    if explain:
        args.append("--explain")
    out = subprocess.run(args, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def measure(backend: str, articles: int, subscribers: int, explain: bool) -> dict[str, Any]:
    now = datetime.now(UTC)
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
            seed(url, articles, subscribers, now)
            seed_s = time.perf_counter() - start
            result = run_child(url, explain)
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
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    parser.add_argument("--child", metavar="DB_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(_child(args.child, args.explain))))
        return
    backends = args.backends
    print(f"scheduled run: {args.subscribers} subscribers, {os.cpu_count()} CPUs")
    print(
        f"{'backend':>10} {'articles':>9} {'seed s':>7} {'run s':>6} {'selected':>8} "
        f"{'fan-out':>8} {'RSS before MB':>13} {'peak RSS MB':>11}"
    )
    for backend in backends:
        rows = []
        for articles in args.articles:
            r = measure(backend, articles, args.subscribers, args.explain)
            rows.append(r)
            print(
                f"{backend:>10} {articles:>9} {r['seed_s']:>7.1f} {r['run_s']:>6.2f} "
                f"{r['selected']:>8} {r['fanned_out']:>8} {r['rss_before_mb']:>13.0f} "
                f"{r['peak_rss_mb']:>11.0f}",
                flush=True,
            )
            for name, plan in r["plans"].items():
                print(f"    plan of {name}:")
                for line in plan:
                    print(f"      {line}")
        if len(rows) > 1:
            small, large = rows[0], rows[-1]
            print(
                f"{backend:>10} {large['articles']}/{small['articles']} articles: "
                f"time x{large['run_s'] / small['run_s']:.2f}, "
                f"peak RSS x{large['peak_rss_mb'] / small['peak_rss_mb']:.2f} (goal: about 1)"
            )


if __name__ == "__main__":
    main()
