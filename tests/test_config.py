"""Config loading: every section parses, and every mistake is reported with its key path and
what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, FeedSource, load_config, parse_config

MINIMAL = "telegram: {channel: '@my_ai_news'}\n"


def test_minimal_config_has_defaults() -> None:
    config = parse_config(MINIMAL, env={})
    assert config.telegram.webhook is None
    assert config.health.port is None
    assert config.delivery.max_messages_per_second == 30
    assert config.folders == [] and config.feeds == []


def test_folders_and_feeds_are_told_apart(tmp_path: Path) -> None:
    text = MINIMAL + (
        "sources:\n"
        "  - path: articles\n"
        "  - url: https://everyday-cc.github.io/ai/api/news/index.json\n"
        "    max_pages: 2\n"
    )
    config = parse_config(text, path=tmp_path / "config.yaml", env={})
    assert config.folders == [tmp_path / "articles"]
    assert config.feeds == [
        FeedSource(url="https://everyday-cc.github.io/ai/api/news/index.json", max_pages=2)
    ]


def test_webhook_section_and_secret_from_env() -> None:
    text = (
        "telegram:\n  channel: '@my_ai_news'\n  webhook:\n"
        "    url: https://bot.example.com/telegram\n    secret_token: from_file\n"
    )
    config = parse_config(text, env={"TELEGRAM_WEBHOOK_SECRET": "from-env_1"})
    webhook = config.telegram.webhook
    assert webhook is not None
    assert (webhook.listen, webhook.port, webhook.path) == ("0.0.0.0", 8443, "telegram")
    assert webhook.secret_token == "from-env_1"


def test_env_overrides_token_and_database() -> None:
    config = parse_config(
        MINIMAL, env={"TELEGRAM_BOT_TOKEN": "1:abc", "DATABASE_URL": "postgresql://u@h/db"}
    )
    assert config.telegram.token == "1:abc"
    assert config.database.url == "postgresql://u@h/db"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("telegram: {}", "telegram.channel: required key is missing"),
        ("telegram: {channel: 'not a channel'}", 'telegram.channel: expected "@channel_username"'),
        (MINIMAL + "delivery: {max_messages_per_second: 0}", "expected a number greater than 0"),
        (MINIMAL + "delivery: {max_messages_per_second: 5000}", "of at most 1000, got 5000"),
        (MINIMAL + "schedule: {every: 5}", "schedule.every: unknown key"),
        (MINIMAL + "sources: [{foo: 1}]", "sources[0]: expected a source with either path:"),
        (MINIMAL + "sources: [{url: ftp://x}]", "sources[0].url: expected an http(s) URL"),
        (MINIMAL + "sources: [{url: 'https://x/a.json', max_pages: 0}]", "sources[0].max_pages"),
        (MINIMAL + "sources: [{path: a, url: 'https://x'}]", "sources[0].path: unknown key"),
        (MINIMAL + "health: {port: 70000}", "health.port: expected a number of at most 65535"),
        (
            "telegram: {channel: '@my_ai_news', webhook: {url: 'http://bot.example.com/x'}}",
            "telegram.webhook.url: expected the public https:// URL",
        ),
        (
            "telegram: {channel: '@my_ai_news', webhook: {url: 'https://b.example/x', "
            "secret_token: 'has space'}}",
            "telegram.webhook.secret_token: expected 1-256 characters",
        ),
        ("database: {url: 'mysql://x/y'}\n" + MINIMAL, "database.url"),
        ("- just\n- a list\n", "expected a mapping of sections"),
        ("telegram: [", "not valid YAML"),
    ],
)
def test_mistakes_name_the_key_and_the_expectation(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, env={})
    assert expected in str(caught.value)


def test_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config file not found; copy config\.example\.yaml"):
        load_config(tmp_path / "config.yaml", env={})


def test_missing_token_names_the_environment_variable() -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        parse_config(MINIMAL, env={}).require_token()


def test_example_config_parses() -> None:
    config = load_config(Path(__file__).parent.parent / "config.example.yaml", env={})
    assert config.telegram.channel == "@my_ai_news"
