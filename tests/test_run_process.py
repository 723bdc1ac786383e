"""End to end: the real `feedbot` process against the fake Bot API, over HTTP. The tests that
keep state run on a SQLite file and on PostgreSQL (`database_url`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.article_factory import write_article
from tests.bot_process import CHANNEL, CHANNEL_ID, BotProcess, run_cli, write_config
from tests.fake_telegram.server import FakeTelegram

pytestmark = pytest.mark.process

RUN_DONE = r"run: \d+ new"


@pytest.fixture
def fake(fake_telegram: FakeTelegram) -> FakeTelegram:
    fake_telegram.add_chat(CHANNEL_ID, "channel", title="AI news", username=CHANNEL[1:])
    return fake_telegram


def _env(fake: FakeTelegram) -> dict[str, str]:
    return {"TELEGRAM_BOT_TOKEN": fake.token}


def _write_articles(articles: Path) -> None:
    """Three posts to make (one with a photo, one whose photo Telegram refuses, one without),
    one too cold to post, and one file that is junk."""
    write_article(
        articles,
        "hot.md",
        url="https://example.com/hot",
        title="Hot <news> & more",
        heat=200,
        image="https://img.example.com/hot.jpg",
    )
    write_article(
        articles,
        "broken.md",
        url="https://example.com/broken",
        title="Broken image",
        heat=150,
        image="https://img.example.com/broken.jpg",
    )
    write_article(
        articles,
        "noimage.md",
        url="https://example.com/noimage",
        title="No image",
        heat=120,
        image=None,
    )
    write_article(articles, "cold.md", url="https://example.com/cold", title="Cold", heat=50)
    (articles / "junk.md").write_bytes(b"\x00\xff\xfe binary junk")


def _run_until_the_later_post(config: Path, fake: FakeTelegram, articles: Path) -> BotProcess:
    """Runs the bot until it has posted the three, then a file written while it runs, then two
    more runs that post nothing; returns the stopped process."""
    bot = BotProcess("run", "--config", str(config), env=_env(fake))
    try:
        fake.wait_for(lambda f: len(f.sent(CHANNEL_ID)) == 3, timeout=30, what="3 channel posts")
        bot.wait_for_log(r"sent article .* \(photo refused")
        # A file that appears while the bot runs is posted on a later run.
        write_article(
            articles, "later.md", url="https://example.com/later", title="Later", heat=110
        )
        fake.wait_for(lambda f: len(f.sent(CHANNEL_ID)) == 4, timeout=30, what="the later post")
        runs = bot.count(RUN_DONE)
        bot.wait_for_log(RUN_DONE, times=runs + 2)  # two more runs: nothing new goes out
        assert len(fake.sent(CHANNEL_ID)) == 4
    finally:
        code = bot.terminate()
    assert code == 0, bot.log[-3000:]
    return bot


def _assert_the_posts(fake: FakeTelegram, bot: BotProcess) -> None:
    sent = fake.sent(CHANNEL_ID)
    by_title = {call.text.split("\n")[0]: call for call in sent if call.text}
    assert list(by_title) == ["Hot <news> & more", "Broken image", "No image", "Later"]
    hot = by_title["Hot <news> & more"]
    assert hot.method == "sendPhoto" and hot.params["photo"] == "https://img.example.com/hot.jpg"
    assert any(e.type == "text_link" and e.url == "https://example.com/hot" for e in hot.entities)
    for title in ("Broken image", "No image"):
        call = by_title[title]
        assert call.method == "sendMessage"
        preview = call.params["link_preview_options"]
        preview = json.loads(preview) if isinstance(preview, str) else preview
        assert preview["url"].startswith("https://example.com/")
        assert preview.get("prefer_large_media") is True
    refused = [c for c in fake.calls_of("sendPhoto") if not c.ok]
    assert [c.params["photo"] for c in refused] == ["https://img.example.com/broken.jpg"]
    assert "junk.md" in bot.log and "not UTF-8" in bot.log
    assert fake.token not in bot.log + bot.stdout
    assert fake.token.split(":")[1] not in bot.log


def _assert_a_restart_posts_nothing(config: Path, fake: FakeTelegram) -> None:
    fake.clear_calls()
    again = BotProcess("run", "--config", str(config), env=_env(fake))
    try:
        again.wait_for_log(RUN_DONE, times=2)
    finally:
        code = again.terminate()
    assert code == 0, again.log[-3000:]
    assert fake.sent(CHANNEL_ID) == []


def test_posts_once_falls_back_on_refused_photo_and_survives_restart(
    fake: FakeTelegram, tmp_path: Path, database_url: str
) -> None:
    config = write_config(tmp_path, fake, database={"url": database_url})
    articles = tmp_path / "articles"
    _write_articles(articles)
    fake.break_photo_url("https://img.example.com/broken.jpg")
    bot = _run_until_the_later_post(config, fake, articles)
    _assert_the_posts(fake, bot)
    # A restart posts nothing twice.
    _assert_a_restart_posts_nothing(config, fake)


def test_the_first_run_comes_at_start_not_an_interval_later(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    config = write_config(tmp_path, fake, schedule={"interval_seconds": 3600})
    write_article(tmp_path / "articles", "hot.md", url="https://example.com/hot", heat=200)
    bot = BotProcess("run", "--config", str(config), env=_env(fake))
    try:
        fake.wait_for(lambda f: len(f.sent(CHANNEL_ID)) == 1, timeout=20, what="the post at start")
    finally:
        code = bot.terminate()
    assert code == 0, bot.log[-3000:]


def test_dry_run_sends_nothing_and_needs_no_token(
    fake: FakeTelegram, tmp_path: Path, database_url: str
) -> None:
    config = write_config(tmp_path, fake, database={"url": database_url})
    write_article(
        tmp_path / "articles", "a.md", url="https://example.com/a", title="Dry & run", heat=150
    )
    result = run_cli("run", "--config", str(config), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "Dry &amp; run" in result.stdout
    assert "image: https://img.example.com/a.jpg" in result.stdout
    assert "1 post(s) would go to @my_ai_news" in result.stdout
    assert fake.calls == []
    # Nothing recorded as posted: a second dry run shows the same post.
    second = run_cli("run", "--config", str(config), "--dry-run")
    assert "1 post(s) would go" in second.stdout


def test_ingest_command_reports_counts_and_reasons(tmp_path: Path) -> None:
    config = write_config(tmp_path, None)  # sqlite:///feedbot.db, relative to the config file
    write_article(tmp_path / "articles", "a.md", url="https://example.com/a")
    (tmp_path / "articles" / "bad.md").write_text("---\ntitle: [unclosed\n---\n")
    result = run_cli("ingest", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "ingest: 1 new, 0 updated, 0 unchanged, 1 skipped" in result.stdout
    assert "bad.md: broken YAML" in result.stdout
    again = run_cli("ingest", "--config", str(config))
    assert "ingest: 0 new, 0 updated, 2 unchanged, 0 skipped" in again.stdout
    assert (tmp_path / "feedbot.db").is_file()  # beside the config, not in the working directory


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        (
            "telegram: {channel: '@my_ai_news'}\npublish: {min_heat: high}\n",
            "publish.min_heat: expected a number, got 'high'",
        ),
        (
            "telegram: {channel: '@my_ai_news'}\nschedule: {every: 5}\n",
            "schedule.every: unknown key",
        ),
        ("publish: {}\n", "telegram: required key is missing"),
    ],
)
def test_config_errors_name_the_key(tmp_path: Path, yaml_text: str, message: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml_text)
    result = run_cli("run", "--config", str(path), "--dry-run")
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_run_without_token_says_how_to_set_it(tmp_path: Path) -> None:
    config = write_config(tmp_path, None)
    result = run_cli("run", "--config", str(config))
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr


def test_unknown_channel_is_a_config_error(fake_telegram: FakeTelegram, tmp_path: Path) -> None:
    config = write_config(tmp_path, fake_telegram)
    result = run_cli(
        "run", "--config", str(config), env={"TELEGRAM_BOT_TOKEN": fake_telegram.token}
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert "telegram.channel" in result.stderr and "@my_ai_news" in result.stderr
