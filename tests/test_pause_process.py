"""End to end with the real `feedbot` process: /pause is kept in the database, so a restarted
bot stays paused until /resume."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.article_factory import write_article
from tests.bot_process import CHANNEL, CHANNEL_ID, BotProcess, write_config
from tests.fake_telegram import message_update
from tests.fake_telegram.server import FakeTelegram

pytestmark = pytest.mark.process

ADMIN = 1000  # in telegram.admins (tests.bot_process.write_config)
PAUSED_RUN = r"publishing is paused"


def _answered(fake: FakeTelegram, words: str) -> bool:
    return any(words in (call.text or "") for call in fake.sent(ADMIN))


def test_pause_survives_a_restart(
    fake_telegram: FakeTelegram, tmp_path: Path, database_url: str
) -> None:
    fake = fake_telegram
    fake.add_chat(CHANNEL_ID, "channel", title="AI news", username=CHANNEL[1:])
    fake.add_chat(ADMIN)
    config = write_config(tmp_path, fake, database={"url": database_url})
    env = {"TELEGRAM_BOT_TOKEN": fake.token}

    first = BotProcess("run", "--config", str(config), env=env)
    try:
        first.wait_for_log(r"run: \d+ new")
        fake.push_update(message_update(ADMIN, ADMIN, "/pause"))
        fake.wait_for(lambda f: _answered(f, "Scheduled publishing is paused"), timeout=20)
    finally:
        code = first.terminate()
    assert code == 0, first.log[-3000:]

    write_article(tmp_path / "articles", "hot.md", url="https://example.com/hot", heat=200)
    second = BotProcess("run", "--config", str(config), env=env)
    try:
        second.wait_for_log(PAUSED_RUN, times=2)
        assert fake.sent(CHANNEL_ID) == []
        fake.push_update(message_update(ADMIN, ADMIN, "/resume"))
        fake.wait_for(lambda f: len(f.sent(CHANNEL_ID)) == 1, timeout=20, what="the post")
    finally:
        code = second.terminate()
    assert code == 0, second.log[-3000:]
    assert _answered(fake, "Scheduled publishing is on again")
    assert fake.token not in second.log
