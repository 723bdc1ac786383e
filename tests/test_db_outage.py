"""A database outage under the running `feedbot` process (PostgreSQL behind tests.pg_proxy, cut
and restored): the bot logs, keeps running, and once the database is back finishes its work
with nothing lost and nothing sent twice."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.app import DATABASE_AWAY
from storage import database
from storage.database import create_engine
from storage.errors import is_database_unavailable
from storage.records import DeliveryStatus
from tests.article_factory import write_article
from tests.bot_process import CHANNEL_ID
from tests.fake_telegram import callback_query_update, message_update
from tests.fake_telegram.server import FakeTelegram
from tests.fan_out_process import channel_fake, seed_queued_fan_out, start_run
from tests.live_bot import bot_config, fake_with, live_bot
from tests.pg_proxy import PgProxy
from tests.seeding import delivery_statuses

pytestmark = pytest.mark.postgres

ADMIN = 1000  # in telegram.admins (tests.bot_process.write_config)
RATE = 100
# The worker claims about two seconds of sends ahead (2 x RATE rows) and sends what it claimed
# while the database is away. With 400 subscribers and the cut after the first 50, at least 150
# can only be claimed after the restore, however the timing falls.
SUBSCRIBERS = range(7000, 7400)
CUT_AFTER = 50
# What the bot logs when the database is away: the worker pausing or retrying a write, and the
# error handler for a failed command or publishing run (whatever its wording of the failure).
WORKER_SAW_OUTAGE = r"database (unavailable|write failed)"
HANDLER_FAILED = r"while handling update \d+"
RUN_FAILED = r"while handling a job"
RUN_DONE = r"run: \d+ new"


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with channel_fake(RATE) as fake:
        fake.add_chat(ADMIN)
        yield fake


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[PgProxy]:
    target = make_url(postgres_url)
    with PgProxy(target.host or "127.0.0.1", target.port or 5432) as running:
        yield running


def _through(proxy: PgProxy, url: str) -> str:
    return make_url(url).set(port=proxy.port).render_as_string(hide_password=False)


def _received(fake: FakeTelegram) -> Counter[int]:
    return Counter(
        c.chat_id for c in fake.sent() if c.chat_id is not None and c.chat_id in SUBSCRIBERS
    )


def _answers(fake: FakeTelegram) -> list[str]:
    return [c.text or "" for c in fake.sent(ADMIN) if c.method == "sendMessage"]


def _wait_for_apology(fake: FakeTelegram) -> None:
    """A command that failed on the outage is answered with a "try again", not left hanging."""
    fake.wait_for(lambda f: any(a == DATABASE_AWAY for a in _answers(f)), what="the outage apology")


@pytest.mark.process
def test_outage_mid_fan_out_and_mid_run_loses_nothing_and_sends_nothing_twice(
    fake: FakeTelegram, proxy: PgProxy, postgres_url: str, tmp_path: Path
) -> None:
    seed_queued_fan_out(postgres_url, SUBSCRIBERS)
    bot = start_run(tmp_path, fake, _through(proxy, postgres_url), rate=RATE, interval=1)
    try:
        fake.wait_for(lambda f: len(_received(f)) >= CUT_AFTER, timeout=30, what="a first part")
        runs_failed = bot.count(RUN_FAILED)
        assert proxy.cut() > 0
        # While the database is away: an article arrives for the next publishing run, and the
        # admin sends a command that needs the database.
        write_article(
            tmp_path / "articles", "during.md", url="https://example.com/during", heat=200
        )
        fake.push_update(message_update(ADMIN, ADMIN, "/mytopics"))
        bot.wait_for_log(WORKER_SAW_OUTAGE)
        bot.wait_for_log(HANDLER_FAILED)
        _wait_for_apology(fake)
        # An outage of seconds, like a server restart: two publishing runs fail in it.
        bot.wait_for_log(RUN_FAILED, times=runs_failed + 2)
        assert bot.proc.poll() is None, "the bot died with its database"
        proxy.restore()

        fake.wait_for(
            lambda f: len(_received(f)) == len(SUBSCRIBERS), timeout=40, what="all subscribers"
        )
        fake.wait_for(lambda f: len(f.sent(CHANNEL_ID)) == 1, timeout=20, what="the new post")
        answered = len(_answers(fake))
        fake.push_update(message_update(ADMIN, ADMIN, "/mytopics"))
        fake.wait_for(
            lambda f: len(_answers(f)) > answered, timeout=20, what="/mytopics after restore"
        )
        runs = bot.count(RUN_DONE)
        bot.wait_for_log(RUN_DONE, times=runs + 1)  # runs go on after the outage
    finally:
        code = bot.terminate()
    assert code == 0, bot.log[-3000:]
    assert set(_received(fake).values()) == {1}, "a subscriber got the post twice"
    assert len(fake.sent(CHANNEL_ID)) == 1
    counts = asyncio.run(delivery_statuses(postgres_url))
    assert counts[DeliveryStatus.SENT] == len(SUBSCRIBERS) + 1, counts  # and the channel post
    assert sum(counts.values()) == counts[DeliveryStatus.SENT]


@pytest.mark.process
def test_commands_through_a_quick_restart_and_during_an_outage(
    fake: FakeTelegram, proxy: PgProxy, postgres_url: str, tmp_path: Path
) -> None:
    """Polling mode, no fan-out, no publishing run in the way: only commands use the database.
    After a quick restart the pooled connections are all dead, and the next command must get a
    fresh one (pool_pre_ping) instead of an error. A command while the database is away fails
    with a log line; the bot stays up and answers the next one once it is back."""
    bot = start_run(tmp_path, fake, _through(proxy, postgres_url), rate=RATE, interval=3600)

    def ask_mytopics() -> None:
        answered = len(_answers(fake))
        fake.push_update(message_update(ADMIN, ADMIN, "/mytopics"))
        fake.wait_for(lambda f: len(_answers(f)) > answered, timeout=20, what="/mytopics")

    try:
        bot.wait_for_log(r"delivery worker started")
        ask_mytopics()
        assert proxy.cut() > 0
        proxy.restore()
        ask_mytopics()
        assert bot.count(HANDLER_FAILED) == 0, bot.log[-3000:]

        proxy.cut()
        fake.push_update(message_update(ADMIN, ADMIN, "/mytopics"))
        bot.wait_for_log(HANDLER_FAILED)
        _wait_for_apology(fake)
        assert bot.proc.poll() is None, "the bot died with its database"
        proxy.restore()
        ask_mytopics()
    finally:
        code = bot.terminate()
    assert code == 0, bot.log[-3000:]
    assert bot.count(HANDLER_FAILED) == 1


async def test_a_server_that_stops_answering_fails_a_new_connection_in_bounded_time(
    proxy: PgProxy, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not hang for psycopg's default 130 s: the caller (a handler, the worker) must get an
    error it can log and retry."""
    monkeypatch.setattr(database, "CONNECT_TIMEOUT_SECONDS", 2)  # psycopg's minimum
    engine = create_engine(_through(proxy, postgres_url))
    try:
        proxy.hang()
        started = time.monotonic()
        with pytest.raises(OperationalError, match="timeout"):
            async with asyncio.timeout(30), engine.connect():
                pass
        assert time.monotonic() - started < 10
    finally:
        proxy.cut()
        await engine.dispose()


async def test_a_button_pressed_during_an_outage_is_answered(
    proxy: PgProxy, postgres_url: str, tmp_path: Path
) -> None:
    """A press is answered (its button would spin until Telegram gives up) with the apology,
    as an alert over the list the user tapped, not as a new message under it."""
    with fake_with(ADMIN) as fake:
        config = bot_config(tmp_path, fake, database={"url": _through(proxy, postgres_url)})
        async with live_bot(fake, config) as bot:
            await bot.ask(ADMIN, ADMIN, "/topics")
            (listing,) = [m for m in fake.messages(ADMIN) if m.from_bot]
            proxy.cut()
            fake.push_update(callback_query_update(ADMIN, ADMIN, listing.message_id, "p:0"))
            await fake.wait_for_async(
                lambda f: len(f.answered_callback_queries) == 1, what="an answer to the press"
            )
            proxy.restore()
            await bot.settle()
            (answer,) = fake.answered_callback_queries.values()
            assert answer["text"] == DATABASE_AWAY and answer["show_alert"] is True
            assert [m for m in fake.messages(ADMIN) if m.from_bot] == [listing]
            assert all(is_database_unavailable(e) for e in bot.errors)
            bot.errors.clear()  # the outage's, seen by the handler; live_bot expects none
