"""Loading config.yaml into typed, frozen sections, with errors that name the key and say what
was expected. Later features add a section here and nowhere else."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from storage.database import DatabaseUrlError, async_url, sqlite_path

TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
DATABASE_URL_ENV = "DATABASE_URL"
_CHANNEL_USERNAME = re.compile(r"^@[A-Za-z][A-Za-z0-9_]{3,31}$")


class ConfigError(Exception):
    """The config cannot be used; the message says which key and what was expected."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class TelegramConfig(_Section):
    token: str | None = None
    api_base_url: str = "https://api.telegram.org/bot"
    channel: str | int
    admins: tuple[int, ...] = ()

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str | int) -> str | int:
        if isinstance(value, int):
            return value
        text = value.strip()
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        if not _CHANNEL_USERNAME.match(text):
            raise ValueError(
                'expected "@channel_username" or a numeric chat id like -1001234567890'
            )
        return text

    @field_validator("api_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(
                "expected an http(s) URL ending in /bot, e.g. https://api.telegram.org/bot"
            )
        return value

    @property
    def file_base_url(self) -> str:
        # Bot API servers serve files under /file/bot<token>/ beside /bot<token>/.
        base = self.api_base_url.rstrip("/")
        head, _, tail = base.rpartition("/")
        return f"{head}/file/{tail}" if tail.startswith("bot") else f"{base}/file/bot"


class DatabaseConfig(_Section):
    url: str = "sqlite:///feedbot.db"

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        try:
            async_url(value)
        except DatabaseUrlError as exc:
            raise ValueError(str(exc)) from exc
        return value


class FolderSource(_Section):
    path: Path


Source = FolderSource


class ScheduleConfig(_Section):
    interval_seconds: Annotated[float, Field(gt=0)] = 300


class PublishConfig(_Section):
    min_heat: Annotated[float, Field()] = 100
    # None: no age window (the bundled sample uses it so it posts something on any date).
    max_age_hours: Annotated[float, Field(gt=0)] | None = 24
    max_per_run: Annotated[int, Field(ge=1)] = 5


class DeliveryConfig(_Section):
    max_messages_per_second: Annotated[float, Field(gt=0, le=1000)] = 30
    paid_broadcast: bool = False


class LoggingConfig(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class Config(_Section):
    telegram: TelegramConfig
    database: DatabaseConfig = DatabaseConfig()
    sources: tuple[Source, ...] = ()
    schedule: ScheduleConfig = ScheduleConfig()
    publish: PublishConfig = PublishConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    logging: LoggingConfig = LoggingConfig()
    topics: tuple[str, ...] = ()
    path: Path = Path("config.yaml")  # where it was read from; not a YAML key

    def require_token(self) -> str:
        if not self.telegram.token:
            raise ConfigError(
                f"telegram.token: no bot token; set {TOKEN_ENV} in the environment "
                "(or telegram.token in the config file)"
            )
        return self.telegram.token


_EXPECTED = {
    "int_parsing": "expected a whole number",
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_parsing": "expected a number",
    "float_type": "expected a number",
    "bool_parsing": "expected true or false",
    "bool_type": "expected true or false",
    "string_type": "expected text",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
    "dict_type": "expected a mapping of keys",
    "model_type": "expected a mapping of keys",
    "model_attributes_type": "expected a mapping of keys",
    "missing": "required key is missing",
    "extra_forbidden": "unknown key",
    "path_type": "expected a folder path",
}


_BOUNDS = {
    "greater_than": "greater than",
    "greater_than_equal": "of at least",
    "less_than": "less than",
    "less_than_equal": "of at most",
}


def _describe(error: Mapping[str, Any]) -> str:
    loc = ""
    for part in error["loc"]:
        if isinstance(part, int):
            loc += f"[{part}]"
        elif not str(part).startswith("function-"):
            loc += f".{part}" if loc else str(part)
    # Union members show up as extra path parts ("telegram.channel.str"): hide them.
    loc = re.sub(r"\.(str|int|float|bool|none|FolderSource|constrained-\w+)\b", "", loc)
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in _BOUNDS:
        message = f"expected a number {_BOUNDS[kind]} {next(iter(ctx.values()), '')}".rstrip()
    elif kind == "value_error":
        message = str(error["msg"]).removeprefix("Value error, ")
    else:
        message = _EXPECTED.get(kind, str(error["msg"]).lower())
    if kind not in ("missing", "extra_forbidden"):
        message += f", got {error.get('input')!r}"
    return f"{loc}: {message}"


def _merge_env(raw: dict[str, Any], env: Mapping[str, str]) -> None:
    if env.get(TOKEN_ENV):
        telegram = raw.setdefault("telegram", {})
        if isinstance(telegram, dict):
            telegram["token"] = env[TOKEN_ENV]
    if env.get(DATABASE_URL_ENV):
        database = raw.setdefault("database", {})
        if isinstance(database, dict):
            database["url"] = env[DATABASE_URL_ENV]


def _resolve_paths(config: Config, base: Path, from_env: bool) -> Config:
    sources = tuple(
        FolderSource(path=s.path if s.path.is_absolute() else (base / s.path).resolve())
        for s in config.sources
    )
    database = config.database
    db_file = sqlite_path(database.url)
    if db_file is not None and not db_file.is_absolute() and not from_env:
        # An env-provided URL is the operator's, relative to where they run; the file's is the
        # file's, relative to the file (so the same config works from any directory).
        database = DatabaseConfig(url=f"sqlite:///{(base / db_file).resolve()}")
    return config.model_copy(update={"sources": sources, "database": database})


def parse_config(
    text: str, *, path: Path = Path("config.yaml"), env: Mapping[str, str] | None = None
) -> Config:
    env = os.environ if env is None else env
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of sections (telegram:, database:, …)")
    raw.pop("path", None)
    _merge_env(raw, env)
    try:
        config = Config.model_validate({**raw, "path": path})
    except ValidationError as exc:
        details = "\n  ".join(_describe(e) for e in exc.errors())
        raise ConfigError(f"{path}: invalid config:\n  {details}") from None
    return _resolve_paths(config, path.resolve().parent, bool(env.get(DATABASE_URL_ENV)))


def load_config(path: Path, env: Mapping[str, str] | None = None) -> Config:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: config file not found; copy config.example.yaml to {path} "
            "or pass --config PATH"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc}") from None
    return parse_config(text, path=path, env=env)
