"""The process and Telegram's transport: a token revoked while the bot runs, and a Bot API that
does not answer at start. The real `feedbot run` against the fake, over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.records import DeliveryStatus
from tests.bot_process import run_cli, write_config
from tests.fake_telegram.server import FakeTelegram
from tests.fan_out_process import channel_fake, seed_queued_fan_out, start_run
from tests.seeding import delivery_statuses

pytestmark = pytest.mark.process

SUBSCRIBERS = range(6000, 6200)
RATE = 50
TOKEN_LINE = r"feedbot: telegram\.token: Telegram rejected the bot token \(401 Unauthorized\)"


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with channel_fake(RATE) as fake:
        yield fake


def test_a_token_revoked_mid_fan_out_stops_the_process_and_fails_no_delivery(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    url = seed_queued_fan_out(f"sqlite:///{tmp_path / 'feedbot.db'}", SUBSCRIBERS)
    bot = start_run(tmp_path, fake, url, rate=RATE, interval=3600)
    try:
        fake.wait_for(lambda f: len(f.sent()) >= 20, timeout=30, what="the fan-out under way")
        fake.revoke_token()
        bot.wait_for_log(TOKEN_LINE, timeout=30)  # read by the log reader, before finish()
        code = bot.finish(timeout=30)
    finally:
        if bot.proc.poll() is None:
            bot.kill()
    assert code == 2, bot.log[-3000:]
    assert bot.count(TOKEN_LINE) == 1, bot.log[-3000:]
    assert "TELEGRAM_BOT_TOKEN" in bot.log and "@BotFather" in bot.log
    assert fake.token not in bot.log + bot.stdout
    assert "Traceback" not in bot.log, bot.log[-3000:]
    statuses = asyncio.run(delivery_statuses(url))
    assert statuses[DeliveryStatus.FAILED] == 0, statuses
    assert statuses[DeliveryStatus.SENDING] == 0, statuses
    assert statuses[DeliveryStatus.SENT] >= 20
    assert statuses[DeliveryStatus.PENDING] > 0
    assert sum(statuses.values()) == len(SUBSCRIBERS)


def test_a_revoked_token_at_start_is_one_line_and_exit_2(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    fake.revoke_token()
    config = write_config(tmp_path, fake, logging={"level": "INFO"})
    result = run_cli("run", "--config", str(config), env={"TELEGRAM_BOT_TOKEN": fake.token})
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert fake.token not in result.stderr + result.stdout
    assert sum(1 for line in result.stderr.splitlines() if "rejected the bot token" in line) == 1
    assert "Unclosed" not in result.stderr  # aiohttp's sessions, closed though the start failed


def test_an_unreachable_bot_api_at_start_is_one_line_naming_the_server(tmp_path: Path) -> None:
    token = "987654:SECRET-never-printed"
    # Nothing listens on port 9 (discard): the connection is refused at once.
    config = write_config(tmp_path, None, logging={"level": "INFO"})
    result = run_cli("run", "--config", str(config), env={"TELEGRAM_BOT_TOKEN": token})
    assert result.returncode == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert token not in result.stderr + result.stdout
    lines = [
        line for line in result.stderr.splitlines() if "cannot reach the Telegram Bot API" in line
    ]
    assert len(lines) == 1, result.stderr[-3000:]
    assert "http://127.0.0.1:9/bot" in lines[0]
