"""The scheduled-run benchmark's database (bench.scheduled_run, and bench.latency and
bench.bot_rss): an archive of articles growing by PER_DAY a day and the subscribers following
its topics, written with set-based SQL (a few statements for a million rows). Shares of the
subscribers can have a keyword filter (/filter) or a daily digest (/digest) instead of instant
posts."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import make_url

from storage.records import topic_key
from tests.topic_names import CORPUS_TOPICS

CHANNEL_ID = -1001234567890
FIRST_SUBSCRIBER = 1_000_000
PER_DAY = 300  # articles a day: the archive's age is its size / PER_DAY
MIN_HEAT = 100
# The filter sets the filtering share cycles through (canonical text, storage.mapping): a
# handful of distinct sets, as in real use, so fan-out matches each article a handful of times.
FILTER_SETS = (
    '["+model"]',
    '["-crypto"]',
    '["+openai", "-rumor"]',
    '["+robot", "+vision"]',
    '["-funding"]',
)


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


def _filter_choice() -> str:
    cases = " ".join(f"WHEN {i} THEN '{text}'" for i, text in enumerate(FILTER_SETS))
    return f"CASE (id - :first) % {len(FILTER_SETS)} {cases} END"


def _chat_statements(sql: _Sql, params: dict[str, Any]) -> list[Statement]:
    topics = len(CORPUS_TOPICS)
    filtering = "(id - :first) % 1000 < :filtering"
    digesting = "((id - :first) % 1000 - :filtering) BETWEEN 0 AND :digesting - 1"
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
        # Every 7th subscriber has its own /heat threshold; the first :filtering of every
        # thousand a keyword filter, the next :digesting a daily digest at :digest_minute (UTC):
        # their settings rows, thread 0.
        (
            "INSERT INTO chat_settings (chat_id, thread_id, silent, compact, link_preview, "
            "min_heat, filters, digest, digest_minute, timezone, active, updated_at) "
            f"SELECT id, 0, {sql.false}, {sql.false}, {sql.true}, "
            "CASE WHEN (id - :first) % 7 = 0 THEN 150 ELSE NULL END, "
            f"CASE WHEN {filtering} THEN {_filter_choice()} ELSE '' END, "
            f"CASE WHEN {digesting} THEN 'daily' ELSE 'off' END, :digest_minute, 'UTC', "
            f"{sql.true}, {sql.now} FROM chats WHERE kind = 'private' AND "
            f"((id - :first) % 7 = 0 OR {filtering} OR {digesting})",
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


@dataclass(frozen=True)
class Shares:
    """What share of the subscribers has a keyword filter, and what share a daily digest (at
    `digest_minute` UTC); the two never overlap."""

    filters: float = 0.0
    digests: float = 0.0
    digest_minute: int = 0


def _seed_statements(
    dialect: str, articles: int, subscribers: int, now: datetime, shares: Shares
) -> list[Statement]:
    step = 86_400 // PER_DAY  # seconds between two articles
    params: dict[str, Any] = {
        "n": articles,
        "s": subscribers,
        "newest": int(now.timestamp()),
        "step": step,
        "first": FIRST_SUBSCRIBER,
        "filtering": round(shares.filters * 1000),
        "digesting": round(shares.digests * 1000),
        "digest_minute": shares.digest_minute,
    }
    sql = _dialect_sql(dialect)
    return (
        _topic_statements()
        + _article_statements(sql, params)
        + _chat_statements(sql, params)
        + _delivery_statements(sql, params)
    )


def seed(
    url: str, articles: int, subscribers: int, now: datetime, shares: Shares = Shares()
) -> None:
    from storage.database import upgrade_to_head

    upgrade_to_head(url)
    parsed = make_url(url)
    dialect = parsed.get_backend_name()
    statements = _seed_statements(dialect, articles, subscribers, now, shares)
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
