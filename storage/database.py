"""Opening the database: URL normalisation, engine settings, and bringing the schema to head."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The newest migration's revision (a test keeps it equal to Alembic's head). A database already
# there is recognised with one query, without importing Alembic: that costs a running bot 7 MB.
HEAD_REVISION = "0010_post_photo"


class DatabaseUrlError(ValueError):
    """A database URL feedbot cannot use, with a message a user can act on."""


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError as exc:
        raise DatabaseUrlError(
            f"cannot parse database URL {url!r}: expected e.g. sqlite:///feedbot.db "
            "or postgresql://user:password@host:5432/dbname"
        ) from exc


def async_url(url: str) -> URL:
    """The URL with the async driver feedbot ships: people paste `postgresql://…` from their
    provider and `sqlite:///…` from the docs; both must just work."""
    parsed = _parse(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    raise DatabaseUrlError(
        f"unsupported database {backend!r} in database.url: expected sqlite:///… or postgresql://…"
    )


def sync_url(url: str) -> URL:
    """The URL with a blocking driver, for Alembic (which runs before the event loop starts)."""
    parsed = async_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite")
    return parsed  # psycopg 3 is one driver for both worlds


def is_postgres(url: str) -> bool:
    return _parse(url).get_backend_name() == "postgresql"


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other backends and in-memory databases."""
    parsed = _parse(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (commands, /stats) run while the worker writes; busy_timeout makes a
    # writer wait for the lock instead of failing; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# Seconds to wait for a new PostgreSQL connection (TCP and the server's greeting). psycopg's own
# default is 130 s: a command handler or the delivery worker would hang that long on a server
# that stopped answering, instead of failing, logging and trying again.
CONNECT_TIMEOUT_SECONDS = 10


def _postgres_connect_args() -> dict[str, Any]:
    return {
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        # A server that vanished without closing the connection (host down, network cut) is
        # noticed in about a minute rather than at the kernel's ~15 min retransmission limit.
        "keepalives": 1,
        "keepalives_idle": 30,
        "keepalives_interval": 10,
        "keepalives_count": 3,
        "tcp_user_timeout": 60_000,  # ms unacknowledged: only a dead peer leaves data unacked
    }


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    target = async_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if target.get_backend_name() == "postgresql":
        # pre_ping turns a connection killed by a server restart into a fresh one instead of an
        # error in the middle of a run (tests/test_db_outage.py).
        kwargs.update(
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=5,
            pool_recycle=1800,
            connect_args=_postgres_connect_args(),
        )
    engine = create_async_engine(target, **kwargs)
    if target.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)


def upgrade_to_head(url: str) -> None:
    """Bring the schema to the latest Alembic revision. Blocking: call before the loop starts."""
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    if schema_revision(url) == HEAD_REVISION:
        return
    # Only now: Alembic and Mako stay out of a bot whose schema is current (8 MB RSS).
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["sqlalchemy_url"] = sync_url(url)
    command.upgrade(config, "head")


def schema_revision(url: str) -> str | None:
    """The database's Alembic revision; None for a new database (or one that cannot say)."""
    engine = create_sync_engine(sync_url(url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:
        return None  # no such table yet: a new database, for Alembic to create
    finally:
        engine.dispose()
