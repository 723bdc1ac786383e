"""The rig of the command tests: the real Application against the fake Bot API, driven by
updates pushed through getUpdates — commands, button presses and my_chat_member — with the
delivery worker running. Its chats, users and helpers are in rig.py; a module may bring its
own `fake` (its chats) and `topics`.

The fake here does not enforce flood limits: these tests are about what the bot answers, and a
user typing five commands in a second would only make them wait. The worker still paces its
own sends (1 s per private chat, 3 s per group or channel)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.commands.rig import GROUP, NEWCOMER, OTHER, TOPICS, USER
from tests.fake_telegram.server import FakeTelegram
from tests.live_bot import ADMIN, LiveBot, bot_config, fake_with, live_bot


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with fake_with(ADMIN, USER, OTHER, NEWCOMER) as running:
        running.add_chat(GROUP, "group", title="Readers", admins=(USER,))
        yield running


@pytest.fixture
def topics() -> list[str]:
    """The topics the bot is configured with; a module may override it."""
    return TOPICS


@pytest.fixture
async def bot(
    fake: FakeTelegram, topics: list[str], tmp_path: Path, bot_database_url: str
) -> AsyncIterator[LiveBot]:
    config = bot_config(tmp_path, fake, topics=topics, database={"url": bot_database_url})
    async with live_bot(fake, config) as running:
        yield running
