"""One instance per database: the lease on a real SQLite file and a real PostgreSQL database,
and two real `feedbot run` processes racing for it."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from bot.app import build_application
from bot.cli import ALLOWED_UPDATES
from bot.config import load_config
from bot.runner import Runner
from storage.database import upgrade_to_head
from storage.lease import (
    ADVISORY_LOCK_KEY,
    FileLease,
    LeaseHeldError,
    PostgresLease,
    describe,
    take_lease,
)
from tests.bot_process import CHANNEL, CHANNEL_ID, BotProcess, run_cli, write_config
from tests.conftest import _libpq
from tests.fake_telegram.server import FakeTelegram
from tests.fake_telegram.updates import message_update

STARTED = r"feedbot started"
LEASE_TAKEN = r"lease taken on "
USER = 4242
PASSWORD = "hunter2-secret"  # trust auth ignores it; it must never appear in a message


def _with_password(url: str) -> str:
    return make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)


def test_sqlite_lease_is_exclusive_and_names_the_holder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'feedbot.db'}"
    first = take_lease(url)
    assert isinstance(first, FileLease)
    assert first.lock_path == tmp_path / "feedbot.db.lock"
    try:
        with pytest.raises(LeaseHeldError) as refused:
            take_lease(url)
        message = str(refused.value)
        assert str(tmp_path / "feedbot.db") in message
        assert "another feedbot instance (pid " in message and "is running" in message
        assert first.check()
    finally:
        first.release()
    again = take_lease(url)  # released: free at once
    again.release()


def test_describe_hides_the_password() -> None:
    url = f"postgresql://feedbot:{PASSWORD}@db.example.com:5432/news"
    assert describe(url) == "postgresql://feedbot@db.example.com:5432/news"
    assert describe("sqlite:////srv/feedbot.db") == "/srv/feedbot.db"


@pytest.mark.postgres
def test_postgres_lease_is_exclusive_and_retaken_after_a_dropped_session(
    postgres_url: str,
) -> None:
    url = _with_password(postgres_url)
    first = take_lease(url)
    assert isinstance(first, PostgresLease)
    try:
        with pytest.raises(LeaseHeldError) as refused:
            take_lease(url)
        message = str(refused.value)
        assert make_url(postgres_url).database in message  # type: ignore[operator]
        assert PASSWORD not in message and "another feedbot instance" in message

        # The server ends the session (as a restart would): the lock went with it, and the
        # next check takes it again on a new session.
        old_pid = first.backend_pid
        _terminate(postgres_url, old_pid)
        assert first.check() is True
        assert first.backend_pid not in (None, old_pid)
        with pytest.raises(LeaseHeldError):
            take_lease(url)

        # Dropped again, and this time another instance is quicker: this one must stop.
        _terminate(postgres_url, first.backend_pid)
        other = take_lease(url)
        try:
            assert first.check() is False
        finally:
            other.release()
    finally:
        first.release()
    take_lease(url).release()  # released: free at once


def _terminate(admin_url: str, pid: int | None) -> None:
    assert pid is not None
    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        # pg_terminate_backend only signals; wait until the session is really gone.
        for _ in range(200):
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,)
            ).fetchone()
            if row and row[0] == 0:
                return
            time.sleep(0.01)  # polling a server catalog: there is no event to wait on
    raise AssertionError(f"backend {pid} still alive")


@contextmanager
def _queued_for_the_lock(
    admin_url: str,
) -> Iterator[Future[psycopg.Connection[tuple[object, ...]]]]:
    """Another instance's session waiting in the server's queue for the lease's lock (the
    blocking pg_advisory_lock); the future is its connection once it holds the lock."""
    conn = psycopg.connect(_libpq(admin_url), autocommit=True)
    with ThreadPoolExecutor(1) as pool:

        def lock() -> psycopg.Connection[tuple[object, ...]]:
            conn.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
            return conn

        future = pool.submit(lock)
        with psycopg.connect(_libpq(admin_url), autocommit=True) as watch:
            for _ in range(500):
                row = watch.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = %s"
                    " AND NOT granted",
                    (conn.info.backend_pid,),
                ).fetchone()
                if (row and row[0]) or future.done():
                    break
                time.sleep(0.01)  # polling a server catalog: there is no event to wait on
            else:
                conn.cancel_safe()
                raise AssertionError("the other instance's session never queued for the lock")
        try:
            yield future
        finally:
            if not future.done():
                conn.cancel_safe()  # the lock never came: end the wait, or the pool never exits
    if future.exception() is not None:
        conn.close()  # handed over only with the lock held (the caller closes it then)


@pytest.fixture
def fake(fake_telegram: FakeTelegram) -> FakeTelegram:
    fake_telegram.add_chat(CHANNEL_ID, "channel", title="AI news", username=CHANNEL[1:])
    return fake_telegram


@pytest.mark.process
@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_a_second_instance_refuses_to_run_and_a_killed_one_restarts_at_once(
    backend: str, fake: FakeTelegram, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    config = write_config(tmp_path, fake, schedule={"interval_seconds": 3600})
    env = {"TELEGRAM_BOT_TOKEN": fake.token}
    where = str(tmp_path / "feedbot.db")
    if backend == "postgresql":
        postgres_url = request.getfixturevalue("postgres_url")
        env["DATABASE_URL"] = _with_password(postgres_url)
        where = describe(postgres_url)

    first = BotProcess("run", "--config", str(config), env=env)
    try:
        first.wait_for_log(STARTED)
        second = BotProcess("run", "--config", str(config), env=env)
        second.wait_for_log(r"another feedbot instance .*is running on ")
        assert second.finish(timeout=30) == 3, second.log[-2000:]
        assert where in second.log
        assert "Traceback" not in second.log and PASSWORD not in second.log + first.log
        assert first.proc.poll() is None  # the first one carries on, still answering
        fake.push_update(message_update(USER, USER, "/help"))
        fake.wait_for(lambda f: f.sent(USER), what="the first instance's answer to /help")
    finally:
        first.kill()  # SIGKILL: no chance to release anything

    started = time.monotonic()
    third = BotProcess("run", "--config", str(config), env=env)
    try:
        third.wait_for_log(LEASE_TAKEN)
        took = time.monotonic() - started
        third.wait_for_log(STARTED)
    finally:
        code = third.terminate()
    assert code == 0, third.log[-2000:]
    # "At once": well under any lease time-to-live; the bound is process start-up time.
    assert took < 10, f"the restart needed {took:.1f} s to take the lease"


@pytest.mark.postgres
def test_a_running_bot_stops_with_exit_3_when_another_instance_takes_the_lease(
    fake: FakeTelegram, tmp_path: Path, postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The lock session dies (a database restart) and another instance is quicker to take the
    lock: the running bot notices at its next check and stops cleanly instead of posting twice.
    The real Runner and Application, in this thread (it installs the signal handlers)."""
    config = load_config(
        write_config(tmp_path, fake, schedule={"interval_seconds": 3600}),
        env={"TELEGRAM_BOT_TOKEN": fake.token, "DATABASE_URL": postgres_url},
    )
    upgrade_to_head(postgres_url)
    lease = take_lease(postgres_url)
    assert isinstance(lease, PostgresLease)
    taken: list[psycopg.Connection[tuple[object, ...]]] = []
    stopped = threading.Event()

    failures: list[BaseException] = []

    def other_instance() -> None:
        try:
            fake.wait_for(lambda f: f.polling, timeout=30, what="the bot polling")
            # Queued on the lock before the bot's session ends, the other instance gets it the
            # moment it does: the bot's own retry (every 50 ms) cannot come in between, however
            # long this thread waits to be scheduled.
            with _queued_for_the_lock(postgres_url) as queued:
                _terminate(postgres_url, lease.backend_pid)
                taken.append(queued.result(timeout=15))
        except BaseException as exc:
            failures.append(exc)
        # A bot that never notices (or a failure above) must fail the test, not hang it.
        if failures or not stopped.wait(15):
            os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=other_instance)
    thread.start()
    runner = Runner(build_application(config), config, lease, ALLOWED_UPDATES, 0.05)
    try:
        code = runner.run()
    finally:
        stopped.set()
        asyncio.set_event_loop(None)
        thread.join(30)
        lease.release()
        for other in taken:
            other.close()
    if failures:
        raise failures[0]
    assert taken, "the other instance never got the lease"
    assert code == 3
    assert "another instance holds the lease on" in caplog.text
    assert fake.polling == 0  # it really stopped receiving updates


@pytest.mark.process
def test_an_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    config = write_config(tmp_path, None)
    url = f"postgresql://feedbot:{PASSWORD}@127.0.0.1:1/feedbot"  # nothing listens on port 1
    result = run_cli(
        "run", "--config", str(config), env={"TELEGRAM_BOT_TOKEN": "1:x", "DATABASE_URL": url}
    )
    assert result.returncode == 1
    assert "cannot reach postgresql://feedbot@127.0.0.1:1/feedbot to take its lease" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr and PASSWORD not in result.stderr


@pytest.mark.parametrize("command", [("ingest",), ("db", "upgrade")])
def test_other_commands_say_the_database_is_unreachable_in_one_line(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    config = write_config(tmp_path, None)
    url = f"postgresql://feedbot:{PASSWORD}@127.0.0.1:1/feedbot"
    result = run_cli(*command, "--config", str(config), env={"DATABASE_URL": url})
    assert result.returncode == 1
    assert "cannot reach the database at postgresql://feedbot@127.0.0.1:1/feedbot" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr and PASSWORD not in result.stderr
