"""What README.md promises an operator, checked where walking the README as a new operator
(review2, stop 12) found it broken; each failed until its fix and now guards it: secrets kept
out of config errors, reports and start-up lines, errors that name the key or variable to fix,
a clean stop after a failed start, a /healthz that answers within its 3 seconds."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import make_url

from bot.cli import api_unreachable
from bot.config import ConfigError, parse_config
from bot.webserver import database_probe
from storage.database import create_engine
from tests.bot_process import run_cli, write_config
from tests.feed_server import P1, FeedServer, server
from tests.pg_proxy import PgProxy

__all__ = ["server"]  # the fixture, imported for the feed test

BASE = 'telegram: {channel: "@my_ai_news"}\n'


def config_error(text: str, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, env=env or {})
    return str(caught.value)


def test_a_config_error_about_a_feed_url_does_not_show_its_api_key() -> None:
    message = config_error(BASE + 'sources: [{url: "ftp://example.com/x.json?api_key=KEY123456"}]')
    assert "sources[0].url" in message
    assert "KEY123456" not in message


def test_a_refused_channel_is_echoed_as_written() -> None:
    message = config_error('telegram: {channel: "@ab"}\n')
    assert "telegram.channel" in message
    assert "'@ab'" in message, message
    assert "***" not in message, message


def test_a_logging_level_is_taken_in_any_case_and_a_wrong_one_told_the_spelling() -> None:
    assert parse_config(BASE + "logging: {level: info}\n", env={}).logging.level == "INFO"
    message = config_error(BASE + "logging: {level: verbose}\n")
    assert "logging.level" in message
    assert "'INFO'" in message, message  # as it must be written, not lower-cased


def test_a_username_in_admins_is_echoed_as_written() -> None:
    message = config_error('telegram: {channel: "@my_ai_news", admins: ["@myname"]}\n')
    assert "telegram.admins[0]" in message
    assert "'@myname'" in message, message


def test_a_bad_database_url_from_the_environment_names_the_variable() -> None:
    message = config_error(
        BASE + 'database: {url: "sqlite:///feedbot.db"}\n',
        env={"DATABASE_URL": "mysql://feedbot:pw123456@db/feedbot"},
    )
    assert "pw123456" not in message
    assert "DATABASE_URL" in message, message


@pytest.mark.process
async def test_feedbot_ingest_report_does_not_show_a_feed_urls_credentials(
    server: FeedServer, tmp_path: Path
) -> None:
    server.set_page(P1, {"page": 1, "value": [{"title": "no url"}, 5]})
    config = write_config(
        tmp_path, None, sources=[{"url": server.url() + "?sig=SIG123456"}], logging={}
    )
    result = await asyncio.to_thread(run_cli, "ingest", "--config", str(config))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "2 skipped" in result.stdout
    assert "SIG123456" not in result.stdout + result.stderr, result.stdout


@pytest.mark.process
def test_an_unreachable_bot_api_at_start_is_one_line_without_unclosed_session_noise(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path, None, logging={"level": "INFO"})
    result = run_cli("run", "--config", str(config), env={"TELEGRAM_BOT_TOKEN": "987654:abc"})
    assert result.returncode == 1, result.stderr[-3000:]
    assert "Unclosed" not in result.stderr, result.stderr[-3000:]


@pytest.mark.postgres
async def test_healthz_answers_within_3_seconds_when_the_database_stops_answering(
    postgres_url: str,
) -> None:
    target = make_url(postgres_url)
    with PgProxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
        engine = create_engine(target.set(port=proxy.port).render_as_string(hide_password=False))
        probe = database_probe(engine)
        try:
            assert await probe()  # a pooled connection now exists, as in a running bot
            proxy.hang()
            started = time.monotonic()
            assert not await probe()
            assert time.monotonic() - started < 4
        finally:
            proxy.cut()
            await engine.dispose()


def test_an_unreachable_bot_api_line_never_shows_a_token_pasted_into_api_base_url(
    capsys: pytest.CaptureFixture[str],
) -> None:
    token = "123456:SECRET-pasted"
    config = parse_config(
        f'telegram: {{channel: "@my_ai_news", api_base_url: "http://127.0.0.1:9/bot{token}"}}\n',
        env={"TELEGRAM_BOT_TOKEN": token},
    )
    assert api_unreachable(config, "connection refused") == 1
    printed = capsys.readouterr()
    assert "cannot reach the Telegram Bot API" in printed.err
    assert "SECRET-pasted" not in printed.err + printed.out, printed.err
