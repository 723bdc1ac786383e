"""Config loading: every section parses, and every mistake is reported with its key path and
what was expected."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from bot.app import make_gate
from bot.config import Config, ConfigError, FeedSource, load_config, parse_config

MINIMAL = "telegram: {channel: '@my_ai_news'}\n"
MINIMAL_ADMINS = "telegram: {{channel: '@my_ai_news', admins: {}}}\n"


def test_minimal_config_has_defaults() -> None:
    config = parse_config(MINIMAL, env={})
    assert config.telegram.webhook is None
    assert config.health.port is None
    assert config.delivery.max_messages_per_second == 30
    assert config.folders == [] and config.feeds == []


def test_exclude_and_rising() -> None:
    config = parse_config(
        MINIMAL
        + "publish:\n  exclude: ['  Sponsored   content ', Anzeige]\n"
        + "  rising: {min_heat: 70, gain: 20, within_hours: 3}\n",
        env={},
    )
    assert config.publish.exclude == ("Sponsored content", "Anzeige")
    assert config.publish.rising is not None
    assert (config.publish.rising.min_heat, config.publish.rising.gain) == (70, 20)
    assert parse_config(MINIMAL, env={}).publish.rising is None  # absent: off


def test_max_per_source() -> None:
    assert parse_config(MINIMAL, env={}).publish.max_per_source is None  # absent: no cap
    config = parse_config(MINIMAL + "publish: {max_per_source: 3}", env={})
    assert config.publish.max_per_source == 3


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


# (config text, what the error must say)
MISTAKES = [
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
    # booleans are not numbers (YAML reads yes/no/on/off as booleans too)
    (MINIMAL_ADMINS.format("[true]"), "telegram.admins[0]: expected a number, not true/false"),
    (MINIMAL_ADMINS.format("[yes]"), "telegram.admins[0]: expected a number, not true/false"),
    (MINIMAL_ADMINS.format("[5, on]"), "telegram.admins[1]: expected a number, not true/false"),
    (MINIMAL + "delivery: {max_messages_per_second: true}", "delivery.max_messages_per_second"),
    ("telegram: {channel: yes}", "telegram.channel: expected a number, not true/false"),
    (MINIMAL_ADMINS.format("[0]"), "telegram.admins[0]: expected a number of at least 1"),
    # finite numbers within sensible bounds
    (MINIMAL + "publish: {min_heat: .nan}", "publish.min_heat: expected a finite number"),
    (MINIMAL + "publish: {min_heat: -.inf}", "publish.min_heat: expected a finite number"),
    (MINIMAL + "publish: {max_age_hours: .inf}", "publish.max_age_hours: expected a finite"),
    (MINIMAL + "publish: {max_age_hours: 1.0e+9}", "publish.max_age_hours: expected a number"),
    (MINIMAL + "schedule: {interval_seconds: .nan}", "schedule.interval_seconds: expected a f"),
    (MINIMAL + "schedule: {interval_seconds: 1e12}", "of at most 604800, got '1e12'"),
    (
        MINIMAL + "schedule: {interval_seconds: 1.0e+12}",
        "of at most 604800, got 1000000000000.0",
    ),
    (MINIMAL + "publish: {max_per_run: 100000000000000000000}", "publish.max_per_run: expec"),
    (MINIMAL + "publish: {story_window_hours: 0}", "publish.story_window_hours: expected"),
    (MINIMAL + "publish: {max_per_source: 0}", "publish.max_per_source: expected a number of"),
    (MINIMAL + "sources: [{url: 'https://x/a.json', timeout_seconds: 1.0e+30}]", "timeout_s"),
    # a key given twice is named with both lines, wherever it is
    (
        MINIMAL + "publish: {min_heat: 1}\npublish: {min_heat: 2}",
        "publish: given twice (lines 2",
    ),
    (
        "telegram:\n  channel: '@my_ai_news'\n  channel: '@other_news'\n",
        "telegram.channel: given twice (lines 2 and 3); keep one",
    ),
    (MINIMAL + "sources:\n  - {path: a, path: b}\n", "sources[0].path: given twice (lines 3"),
    (MINIMAL + "database: {url: 'sqlite:///a.db', 'url': 'sqlite:///b.db'}", "database.url: g"),
    # not-news phrases: plain text with a word in it
    (MINIMAL + "publish: {exclude: 'Subscribe'}", "publish.exclude: expected"),
    (MINIMAL + "publish: {exclude: [7]}", "publish.exclude[0]: expected a phrase (text)"),
    (MINIMAL + "publish: {exclude: [ok, '...']}", "publish.exclude[1]: expected a phrase wi"),
    (MINIMAL + "publish: {exclude: ['" + "x" * 201 + "']}", "publish.exclude[0]: expected a"),
    # rising stories
    (MINIMAL + "publish: {rising: {gain: 0}}", "publish.rising.gain: expected a number gr"),
    (MINIMAL + "publish: {rising: {within_hours: 25}}", "publish.rising.within_hours: ex"),
    (MINIMAL + "publish: {rising: {min_heat: yes}}", "publish.rising.min_heat: expected a n"),
    (MINIMAL + "publish: {rising: {gains: 5}}", "publish.rising.gains: unknown key"),
    (MINIMAL + "publish: {rising: 3}", "publish.rising: expected"),
]


@pytest.mark.parametrize(("text", "expected"), MISTAKES)
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


def test_a_merge_key_may_be_overridden() -> None:
    text = (
        MINIMAL + "defaults: &d {min_heat: 5, max_per_run: 2}\npublish:\n  <<: *d\n  min_heat: 7\n"
    )
    with pytest.raises(ConfigError, match="defaults: unknown key"):  # the anchor's own key
        parse_config(text, env={})
    text = MINIMAL + "publish: &d {min_heat: 5}\ndelivery: {<<: {paid_broadcast: true}}\n"
    assert parse_config(text, env={}).delivery.paid_broadcast is True


# -- every number refuses true and (floats) NaN, found by walking the model ----------------------


def _numeric_keys(model: type[BaseModel], prefix: str = "") -> list[tuple[str, type, bool]]:
    """(key path, int or float, inside a list) for every numeric key, nested sections too."""
    found: list[tuple[str, type, bool]] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        if path == "path":
            continue  # not a YAML key
        in_list = typing.get_origin(info.annotation) is tuple
        for kind in _leaf_types(info.annotation):
            where = f"{path}[0]" if in_list else path
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                found += _numeric_keys(kind, where)
            elif kind in (int, float):
                found.append((where, kind, in_list))
    return found


def _leaf_types(annotation: object) -> set[object]:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Annotated:
        return _leaf_types(args[0])
    if not args:
        return {annotation}
    return set().union(*(_leaf_types(a) for a in args if a is not Ellipsis))


def _config_with(path: str, value: object) -> dict[str, Any]:
    """A config valid but for `value` at `path` ("sources[0].max_pages", "telegram.admins")."""
    raw: dict[str, Any] = {"telegram": {"channel": "@my_ai_news"}}
    *sections, key = path.split(".")
    node = raw
    for section in sections:
        if section == "sources[0]":
            node = node.setdefault("sources", [{"url": "https://x.example/a.json"}])[0]
        else:
            node = node.setdefault(
                section, {"url": "https://b.example/x"} if section == "webhook" else {}
            )
    node[key] = value
    return raw


NUMERIC_KEYS = _numeric_keys(Config)


def test_the_walk_finds_every_numeric_key() -> None:
    assert {path for path, _, _ in NUMERIC_KEYS} >= {
        "telegram.channel",
        "telegram.admins[0]",
        "telegram.webhook.port",
        "sources[0].max_pages",
        "sources[0].timeout_seconds",
        "schedule.interval_seconds",
        "publish.min_heat",
        "publish.max_age_hours",
        "publish.max_per_run",
        "publish.story_window_hours",
        "delivery.max_messages_per_second",
        "health.port",
    }


@pytest.mark.parametrize(("path", "kind", "in_list"), NUMERIC_KEYS)
@pytest.mark.parametrize("value", [True, False])
def test_no_number_accepts_a_boolean(path: str, kind: type, in_list: bool, value: bool) -> None:
    key = path.removesuffix("[0]") if in_list else path
    text = yaml.safe_dump(_config_with(key, [value] if in_list else value))
    with pytest.raises(ConfigError) as caught:
        parse_config(text, env={})
    assert f"{path}: expected a number, not true/false" in str(caught.value)


@pytest.mark.parametrize("path", [p for p, kind, in_list in NUMERIC_KEYS if kind is float])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_no_number_accepts_nan_or_infinity(path: str, value: float) -> None:
    text = yaml.safe_dump(_config_with(path, value))
    with pytest.raises(ConfigError) as caught:
        parse_config(text, env={})
    assert f"{path}: expected a finite number" in str(caught.value)


# -- no error shows a secret ---------------------------------------------------------------------

SECRET = "4839201756"  # as digits, so that YAML reads it as a number where unquoted
TOKEN = f"{SECRET}:AAHsecretsecret"


@pytest.mark.parametrize(
    ("text", "env", "key"),
    [
        (f"telegram: {{channel: '@my_ai_news', token: {SECRET}}}", {}, "telegram.token"),
        (f"telegram: {{channel: '@my_ai_news', token: [{SECRET}]}}", {}, "telegram.token"),
        (f"telegram: {{channel: '@my_ai_news', token: {{a: '{TOKEN}'}}}}", {}, "telegram.token"),
        (f"telegram: {{channel: bad, token: '{TOKEN}'}}", {}, "telegram.channel"),
        (f"telegram: ['{TOKEN}']", {}, "telegram: expected a mapping"),
        (f"telegram: '{TOKEN}'", {}, "telegram: expected a mapping"),
        (f"telegram: {{channel: '@my_ai_news', token: '{TOKEN}\n", {}, "not valid YAML"),
        (f"telegram:\n  token: {TOKEN}\n  token: {TOKEN}\n", {}, "telegram.token: given twice"),
        (
            "telegram: {channel: '@my_ai_news', webhook: {url: 'https://b.example/x', "
            f"secret_token: {SECRET}}}}}",
            {},
            "telegram.webhook.secret_token: expected text",
        ),
        (
            "telegram: {channel: '@my_ai_news', webhook: {url: 'https://b.example/x', "
            f"secret_token: 'no spaces {SECRET}'}}}}",
            {},
            "telegram.webhook.secret_token: expected 1-256",
        ),
        (
            "telegram: {channel: '@my_ai_news', webhook: {url: 'http://b.example/x'}}",
            {"TELEGRAM_WEBHOOK_SECRET": f"x{SECRET}", "TELEGRAM_BOT_TOKEN": TOKEN},
            "telegram.webhook.url",
        ),
        (MINIMAL + f"database: {{url: 'mysql://feedbot:{SECRET}@db/feedbot'}}", {}, "database.url"),
        (MINIMAL + f"database: {{url: 'postgresql://u:{SECRET}@db:port/x'}}", {}, "database.url"),
        (MINIMAL + f"database: {{url: 'oracle://u:a/{SECRET}@db/x'}}", {}, "database.url"),
        (MINIMAL + f"database: {{url: 'postgres:u:{SECRET}@db/x'}}", {}, "database.url"),
        (MINIMAL + f"database: 'postgresql://u:{SECRET}@db/x'", {}, "database: expected a map"),
        (MINIMAL, {"DATABASE_URL": f"oracle://u:{SECRET}@db/x"}, "database.url"),
    ],
)
def test_no_error_shows_a_secret(text: str, env: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, env=env)
    message = str(caught.value)
    assert key in message
    assert SECRET not in message


@pytest.mark.parametrize(("paid", "warned"), [(False, True), (True, False)])
def test_a_cap_above_the_free_limit_without_paid_broadcast_is_warned_of(
    paid: bool, warned: bool, caplog: pytest.LogCaptureFixture
) -> None:
    delivery = f"delivery: {{max_messages_per_second: 100, paid_broadcast: {str(paid).lower()}}}"
    config = parse_config(MINIMAL + delivery, env={})
    make_gate(config)
    said = "set delivery.paid_broadcast: true" in caplog.text
    assert said is warned, caplog.text
