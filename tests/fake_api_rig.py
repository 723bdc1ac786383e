"""The fake Bot API as its own tests use it: without flood limits, with a user, another user, a
group and a channel, and a python-telegram-bot Bot talking to it over plain HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import telegram
from telegram.request import HTTPXRequest

from tests.fake_telegram import (
    FakeTelegram,
)

USER = 1001
OTHER_USER = 1002
GROUP = -2001
CHANNEL = -1003001


def make_bot(fake: FakeTelegram, read_timeout: float | None = 5.0) -> telegram.Bot:
    # plain HTTP to 127.0.0.1: not loading the CA bundle saves ~0.1 s per Bot
    return telegram.Bot(
        fake.token,
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        request=HTTPXRequest(httpx_kwargs={"verify": False}, read_timeout=read_timeout),
        get_updates_request=HTTPXRequest(httpx_kwargs={"verify": False}),
    )


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    """A fake without flood limits, for tests about everything else."""
    with FakeTelegram(enforce_rate_limits=False) as running:
        running.add_chat(USER, username="alice")
        running.add_chat(OTHER_USER)
        running.add_chat(GROUP, "group", title="Group", admins=(USER,))
        running.add_chat(CHANNEL, "channel", title="News", username="ai_news")
        yield running
    assert running.internal_errors == []


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[telegram.Bot]:
    async with make_bot(fake) as running:
        yield running
