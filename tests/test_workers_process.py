"""`feedbot worker` beside `feedbot run` on one PostgreSQL database, as real processes against
the fake Bot API: together they drain a fan-out with no duplicates, no chat sent to by two
workers at once and the shared cap kept (the fake answers 429 above it); a worker killed with
SIGKILL loses nothing; on SQLite `worker` refuses."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.records import DeliveryStatus
from tests.bot_process import BotProcess, run_cli, write_config
from tests.conftest import open_db
from tests.fake_telegram.report import fan_out_report
from tests.fake_telegram.server import FakeTelegram
from tests.fan_out_process import channel_fake
from tests.seeding import add_private_chats, delivery_statuses, queue_news

pytestmark = [pytest.mark.process, pytest.mark.postgres]

CHATS = range(7000, 7300)
ARTICLES = 2  # per chat: a worker that does not hold its chats would send them at once
RATE = 90
RELEASED = r"(\d+) deliveries were in flight"


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    # The overall cap is the bot's: three workers each pacing at the full cap would get 429s.
    with channel_fake(RATE) as fake:
        yield fake


async def _seed(url: str, chats: Sequence[int]) -> None:
    """ARTICLES articles queued for every chat, with heat below min_heat so that the bot's own
    runs never post them to the channel."""
    now = datetime.now(UTC)
    async with open_db(url) as db, db.uow() as tx:
        await add_private_chats(tx, chats, now)
        await queue_news(tx, chats, ARTICLES, now, heat=50)


def _config(tmp_path: Path, fake: FakeTelegram, url: str) -> str:
    return str(
        write_config(
            tmp_path,
            fake,
            database={"url": url},
            delivery={"max_messages_per_second": RATE},
            schedule={"interval_seconds": 60},
        )
    )


def _delivered(fake: FakeTelegram) -> int:
    return len({(c.chat_id, c.text) for c in fake.sent() if c.chat_id in CHATS})


def _start(config: str, fake: FakeTelegram, command: str) -> BotProcess:
    return BotProcess(command, "--config", config, env={"TELEGRAM_BOT_TOKEN": fake.token})


def _sent_by(processes: Sequence[BotProcess], total: int) -> list[int]:
    """How many sends each process logged (one DEBUG line each, right after the answer); read
    while they run: BotProcess.finish may swallow the lines written after a SIGTERM."""
    deadline = time.monotonic() + 10
    while True:
        counts = [p.count(r"sent article \d+ to chat") for p in processes]
        if sum(counts) >= total or time.monotonic() > deadline:
            return counts
        time.sleep(0.05)


@pytest.fixture
def seeded(postgres_url: str) -> str:
    asyncio.run(_seed(postgres_url, CHATS))
    return postgres_url


def test_run_and_two_workers_drain_a_fan_out_together(
    fake: FakeTelegram, tmp_path: Path, seeded: str
) -> None:
    config = _config(tmp_path, fake, seeded)
    processes = [_start(config, fake, "run")] + [_start(config, fake, "worker") for _ in "ab"]
    try:
        for process in processes:
            process.wait_for_log(r"delivery worker started")
        fake.wait_for(
            lambda f: _delivered(f) == len(CHATS) * ARTICLES, timeout=60, what="every delivery"
        )
        shares = _sent_by(processes, len(CHATS) * ARTICLES)
        assert "3 delivery workers live" in processes[0].log
    finally:
        codes = [process.terminate() for process in processes]
    assert codes == [0, 0, 0], "\n".join(p.log[-1500:] for p in processes)
    report = fan_out_report(fake.calls, CHATS)
    assert report.sent == len(CHATS) * ARTICLES
    assert report.duplicates == 0
    assert report.chat_violations == 0
    assert report.count_429 == 0
    # Each process did a share of the work: they are three workers, not one and two idlers.
    assert sum(shares) == report.sent and min(shares) > 0, shares
    counts = asyncio.run(delivery_statuses(seeded))
    assert counts == {DeliveryStatus.SENT: len(CHATS) * ARTICLES}


def test_a_worker_killed_mid_fan_out_loses_nothing(
    fake: FakeTelegram, tmp_path: Path, seeded: str
) -> None:
    config = _config(tmp_path, fake, seeded)
    run = _start(config, fake, "run")
    victim, survivor = _start(config, fake, "worker"), _start(config, fake, "worker")
    try:
        victim.wait_for_log(r"sent article \d+ to chat", times=10, timeout=30)
        victim.kill()
        killed_at = time.monotonic()
        before = _delivered(fake)
        assert before < len(CHATS) * ARTICLES, "the kill came too late to test anything"
        while not any(re.search(RELEASED, p.log) for p in (run, survivor)):
            assert time.monotonic() - killed_at < 30, "the victim's claims never came back"
            time.sleep(0.05)
        returned_after = time.monotonic() - killed_at
        fake.wait_for(
            lambda f: _delivered(f) == len(CHATS) * ARTICLES, timeout=60, what="every delivery"
        )
    finally:
        codes = [run.terminate(), survivor.terminate()]
    assert codes == [0, 0], run.log[-1500:] + survivor.log[-1500:]
    # The claims came back once the heartbeat was 10 s old (5 missed beats), not at a restart.
    assert returned_after < 20, returned_after
    released = sum(int(n) for p in (run, survivor) for n in re.findall(RELEASED, p.log))
    assert released > 0, "the victim held no claims: nothing was tested"
    report = fan_out_report(fake.calls, CHATS)
    # Only what the victim had sent without writing it can go out again, once each.
    assert report.duplicates <= released
    assert report.chat_violations == 0 and report.count_429 == 0
    counts = asyncio.run(delivery_statuses(seeded))
    assert counts == {DeliveryStatus.SENT: len(CHATS) * ARTICLES}


def test_worker_refuses_sqlite_with_exit_2_and_says_why(tmp_path: Path) -> None:
    config = write_config(tmp_path, None)  # sqlite:///feedbot.db
    result = run_cli("worker", "--config", str(config))
    assert result.returncode == 2, result.stderr
    assert "`feedbot worker` needs PostgreSQL" in result.stderr
    assert "is SQLite" in result.stderr and "database.url" in result.stderr
    assert not (tmp_path / "feedbot.db").exists()  # it touched nothing
