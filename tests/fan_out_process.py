"""A fan-out queued in the database and the real `feedbot run` process draining it against the
fake Bot API: the rig of the tests about what a process does mid fan-out (killed, stopped, its
token revoked, its database cut)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from storage.database import upgrade_to_head
from tests.bot_process import CHANNEL, CHANNEL_ID, BotProcess, write_config
from tests.fake_telegram.server import FakeTelegram
from tests.seeding import seed_fan_out_at


@contextmanager
def channel_fake(rate: int) -> Iterator[FakeTelegram]:
    """The fake Bot API with the channel, every other chat made on first use, `rate` sends a
    second; fails the test if the fake itself went wrong."""
    with FakeTelegram(global_rate=rate, auto_create_chats=True) as fake:
        fake.add_chat(CHANNEL_ID, "channel", title="AI news", username=CHANNEL[1:])
        yield fake
    assert not fake.internal_errors


def seed_queued_fan_out(url: str, subscribers: range) -> str:
    """An article already queued for every subscriber, as a selection run would leave it."""
    upgrade_to_head(url)
    # Heat below min_heat: the bot's own runs never select it for the channel, so the outbox
    # holds exactly the seeded fan-out.
    asyncio.run(seed_fan_out_at(url, subscribers, heat=50))
    return url


def start_run(
    tmp_path: Path, fake: FakeTelegram, url: str, *, rate: int, interval: float
) -> BotProcess:
    """`feedbot run` on the database at `url`, sending at most `rate` messages a second."""
    config = write_config(
        tmp_path,
        fake,
        database={"url": url},
        delivery={"max_messages_per_second": rate},
        logging={"level": "INFO"},
        schedule={"interval_seconds": interval},
    )
    return BotProcess("run", "--config", str(config), env={"TELEGRAM_BOT_TOKEN": fake.token})
