"""The fake Bot API as the reply tests want it: rate limits off, the bot's channel and one
reader's private chat; the test fails if the fake itself went wrong."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.fake_telegram.server import FakeTelegram
from tests.live_bot import add_channel


@contextmanager
def fake_with_reader(user: int) -> Iterator[FakeTelegram]:
    with FakeTelegram(enforce_rate_limits=False) as running:
        add_channel(running)
        running.add_chat(user)
        yield running
    assert running.internal_errors == []
