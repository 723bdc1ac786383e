"""The real `feedbot run` process with an hour between scheduled runs: a file written into the
watched folder is posted within seconds, once, however it is written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.article_factory import article_text, write_article
from tests.bot_process import CHANNEL, CHANNEL_ID, BotProcess, write_config
from tests.fake_telegram.server import FakeTelegram

pytestmark = pytest.mark.process

HOUR = {"interval_seconds": 3600}
FIRST_RUN = r"run: \d+ new"
SKIP = r"skipped .*: "
# Far below the interval: only the watcher can have posted it.
SOON = 15.0


def _posts_of(fake: FakeTelegram, url: str) -> int:
    return sum(1 for call in fake.sent(CHANNEL_ID) if url in str(call.params))


def test_files_written_into_the_watched_folder_are_posted_at_once(
    fake_telegram: FakeTelegram, tmp_path: Path, database_url: str
) -> None:
    fake = fake_telegram
    fake.add_chat(CHANNEL_ID, "channel", title="AI news", username=CHANNEL[1:])
    config = write_config(
        tmp_path,
        fake,
        database={"url": database_url},
        schedule=HOUR,
        sources=[{"path": "./articles"}, {"path": "./not-there-yet"}],
    )
    articles = tmp_path / "articles"
    bot = BotProcess("run", "--config", str(config), env={"TELEGRAM_BOT_TOKEN": fake.token})
    try:
        bot.wait_for_log(FIRST_RUN)  # nothing to post; the watch is up before the first run
        # A folder that is missing is one line, and the bot carries on.
        bot.wait_for_log(r"cannot watch .*not-there-yet")

        write_article(articles, "plain.md", url="https://example.com/plain", heat=200)
        fake.wait_for(lambda f: _posts_of(f, "/plain"), timeout=SOON, what="the plain post")

        # An atomic rename: the temporary file is no article, the renamed one is.
        tmp = articles / ".renamed.md.tmp"
        tmp.write_text(article_text(url="https://example.com/renamed", heat=200))
        tmp.rename(articles / "renamed.md")
        fake.wait_for(lambda f: _posts_of(f, "/renamed"), timeout=SOON, what="the renamed post")

        # A slow writer: the half it wrote first does not parse, and is not a skip.
        text = article_text(url="https://example.com/slow", heat=200).encode()
        with (articles / "slow.md").open("wb") as slow:
            slow.write(text[: len(text) // 2])
            slow.flush()
            os.fsync(slow.fileno())
            bot.wait_for_log(r"slow\.md does not parse yet")
            slow.write(text[len(text) // 2 :])
        fake.wait_for(lambda f: _posts_of(f, "/slow"), timeout=SOON, what="the slow post")
    finally:
        code = bot.terminate()
    assert code == 0, bot.log[-3000:]
    for url in ("/plain", "/renamed", "/slow"):
        assert _posts_of(fake, url) == 1, url
    assert bot.count(r"run for \d+ changed path\(s\): 1 new") == 3, bot.log[-3000:]
    assert bot.count(FIRST_RUN) == 1  # no scheduled run did it
    assert bot.count(SKIP) == 0, bot.log[-3000:]
    assert bot.count("cannot watch") == 1
    assert "Traceback" not in bot.log
