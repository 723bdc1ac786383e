"""Shared fixtures: real databases (a SQLite file, and a throwaway PostgreSQL database when one
is reachable) brought to the latest migration."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import psycopg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import create_engine, create_sessionmaker, upgrade_to_head
from storage.records import Article
from storage.unit_of_work import UnitOfWork, UowFactory
from tests.fake_telegram.fixtures import fake_telegram  # noqa: F401 - a fixture for every test

POSTGRES_ADMIN_URL = os.environ.get(
    "FEEDBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("FEEDBOT_REQUIRE_POSTGRES") == "1"
# As bot/__init__.py opts in for the bot: RetryAfter's retry_after a timedelta, no warning per
# 429, also in the tests that drive a plain telegram.Bot and never import the bot package.
os.environ.setdefault("PTB_TIMEDELTA", "1")


def _postgres_problem() -> str | None:
    try:
        with psycopg.connect(_libpq(POSTGRES_ADMIN_URL), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    problem = _postgres_problem()
    if problem:
        if REQUIRE_POSTGRES:
            pytest.fail(
                f"PostgreSQL required (FEEDBOT_REQUIRE_POSTGRES=1) but unreachable: {problem}"
            )
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_ADMIN_URL}: {problem}")
    return POSTGRES_ADMIN_URL


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    name = f"feedbot_test_{uuid.uuid4().hex[:12]}"
    admin = _libpq(postgres_server)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _backend_url(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'feedbot.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Each storage test runs on a SQLite file and on PostgreSQL."""
    return _backend_url(request.param, request, tmp_path_factory)


@pytest.fixture
def bot_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """The database of a bot under test: a SQLite file, or for a test marked
    `on_both_databases` also a throwaway PostgreSQL database. Opt-in per test, because an
    end-to-end test is seconds long and most of them are about Telegram, not SQL."""
    return _backend_url(getattr(request, "param", "sqlite"), request, tmp_path_factory)


# Runs a test that uses `bot_database_url` (directly or through a fixture) on both databases.
on_both_databases = pytest.mark.parametrize("bot_database_url", BACKENDS, indirect=True)


@dataclass
class Db:
    url: str
    engine: AsyncEngine
    uow: UowFactory

    async def article(self, url: str) -> Article:
        """The stored article at `url`; fails the test when there is none."""
        async with self.uow() as tx:
            stored = await tx.articles.article_by_url(url)
        assert stored is not None, f"no article at {url}"
        return stored


@asynccontextmanager
async def open_db(url: str) -> AsyncIterator[Db]:
    """The database at `url`, migrated to head, with an engine open until the block ends."""
    upgrade_to_head(url)
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    try:
        yield Db(url, engine, lambda: UnitOfWork(sessions))
    finally:
        await engine.dispose()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Db]:
    async with open_db(database_url) as opened:
        yield opened
