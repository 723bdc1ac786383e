"""Loading config.yaml into typed, frozen sections, with errors that name the key and say what
was expected, and never show a secret's value. Later features add a section here and nowhere
else.

Numbers are checked more strictly than pydantic's lax mode: true/false (and YAML's yes/no/on/
off) is not a number, NaN and infinity are refused, and each number has a sensible upper bound
(an hour-long interval of 1e12 seconds would overflow the scheduler)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    Tag,
    ValidationError,
    field_validator,
)
from pydantic_core import PydanticCustomError

from bot.config_env import (
    DATABASE_URL_ENV,
    TOKEN_ENV,
    merge_env,
    named_from_env,
)
from bot.config_errors import describe, secrets_given
from bot.config_file import ConfigFileError, read_yaml
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES, resolve_language
from bot.url_secrets import redact_url
from storage.database import DatabaseUrlError, async_url, sqlite_path

_CHANNEL_USERNAME = re.compile(r"^@[A-Za-z][A-Za-z0-9_]{3,31}$")


class ConfigError(Exception):
    """The config cannot be used; the message says which key and what was expected."""


WEEK_SECONDS = 7 * 24 * 3600
TEN_YEARS_HOURS = 10 * 365 * 24
MAX_TELEGRAM_ID = 2**53 - 1  # Telegram: ids fit in a double ("at most 52 significant bits")


def _not_bool(value: Any) -> Any:
    # YAML reads yes/no/on/off/true/false as booleans, and pydantic's lax mode reads a boolean
    # as 1 or 0: `admins: [yes]` would make user 1 an admin.
    if isinstance(value, bool):
        raise PydanticCustomError("bool_not_number", "expected a number, not true/false")
    return value


def _http_url(value: str, expected: str) -> str:
    """`value`, if it is an http(s) URL; the error ends with what a good one looks like."""
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"expected an http(s) URL {expected}")
    return value


Int = Annotated[int, BeforeValidator(_not_bool)]
Float = Annotated[float, BeforeValidator(_not_bool)]
Port = Annotated[Int, Field(ge=1, le=65535)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, allow_inf_nan=False)


class WebhookConfig(_Section):
    """Receive updates by webhook instead of long polling."""

    url: str
    listen: str = "0.0.0.0"  # a container's server must listen beyond loopback
    port: Port = 8443
    secret_token: str | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith("https://"):
            raise ValueError(
                "expected the public https:// URL Telegram posts updates to, e.g. "
                '"https://bot.example.com/telegram"'
            )
        return value

    @field_validator("secret_token")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        # Telegram's own rule for secret_token: 1-256 characters A-Z, a-z, 0-9, _ and -.
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value):
            raise ValueError("expected 1-256 characters from A-Z, a-z, 0-9, _ and -")
        return value

    @property
    def path(self) -> str:
        """The URL's path: where the local server accepts updates."""
        return urlsplit(self.url).path.lstrip("/")


class TelegramConfig(_Section):
    token: str | None = None
    api_base_url: str = "https://api.telegram.org/bot"
    channel: str | Annotated[Int, Field(ge=-MAX_TELEGRAM_ID, le=MAX_TELEGRAM_ID)]
    admins: tuple[Annotated[Int, Field(ge=1, le=MAX_TELEGRAM_ID)], ...] = ()
    webhook: WebhookConfig | None = None
    # The channel's posts, and groups until /language there chooses another (bot.i18n).
    language: str = DEFAULT_LANGUAGE
    # What Telegram shows before Start (setMyDescription, ≤ 512) and on the bot's profile
    # (setMyShortDescription, ≤ 120); None: the catalogue's, naming the channel, per language.
    description: Annotated[str, Field(min_length=1, max_length=512)] | None = None
    short_description: Annotated[str, Field(min_length=1, max_length=120)] | None = None

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        language = resolve_language(value, default="")
        if not language:
            known = ", ".join(f"{code} ({name})" for code, name in LANGUAGE_NAMES.items())
            raise ValueError(f"expected one of {known}")
        return language

    @field_validator("channel", mode="before")
    @classmethod
    def _channel_not_bool(cls, value: Any) -> Any:
        return _not_bool(value)  # a bool would pass as the int member of the union

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
        return _http_url(value, "ending in /bot, e.g. https://api.telegram.org/bot")

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
            # storage's message quotes the URL, password and all
            raise ValueError(str(exc).replace(value, redact_url(value))) from None
        except ValueError:  # SQLAlchemy's own, e.g. for a port that is not a number
            raise ValueError(
                "cannot parse the URL: expected e.g. sqlite:///feedbot.db or "
                "postgresql://user:password@host:5432/dbname"
            ) from None
        return value


class FolderSource(_Section):
    """A folder of article files, read recursively."""

    path: Path
    # Post a file within seconds of its arrival (bot.watcher), not at the next run. Where the
    # folder's changes raise no inotify events (NFS, SMB and other network or FUSE mounts,
    # when the writer is another machine) nothing is lost: the scheduled run still finds them.
    watch: StrictBool = True


class FeedSource(_Section):
    """The site's paged JSON API: page 1, then nextPage links."""

    url: str
    max_pages: Annotated[Int, Field(ge=1, le=1000)] = 5
    timeout_seconds: Annotated[Float, Field(gt=0, le=3600)] = 20

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(
            value, "of a JSON feed page, e.g. https://everyday-cc.github.io/ai/api/news/index.json"
        )


def _source_kind(value: Any) -> str | None:
    # Pick the model by its key, so an error names that model's keys rather than every
    # member of the union.
    if isinstance(value, dict):
        return "feed" if "url" in value else "folder" if "path" in value else None
    return "feed" if isinstance(value, FeedSource) else "folder"


Source = Annotated[
    Annotated[FolderSource, Tag("folder")] | Annotated[FeedSource, Tag("feed")],
    Discriminator(
        _source_kind,
        custom_error_type="source_kind",
        custom_error_message="expected a source with either path: (a folder) or url: (a JSON feed)",
    ),
]


class ScheduleConfig(_Section):
    interval_seconds: Annotated[Float, Field(gt=0, le=WEEK_SECONDS)] = 300


MAX_PHRASE_CHARS = 200
MAX_PHRASES = 500
# The heat history reaches twice this far back (storage.heat_history).
MAX_RISING_HOURS = 24


def _phrase(value: Any) -> Any:
    if not isinstance(value, str):
        raise PydanticCustomError(
            "phrase", "expected a phrase (text), got {value!r}", {"value": value}
        )
    text = " ".join(value.split())
    if not any(ch.isalnum() for ch in text):
        raise PydanticCustomError(
            "phrase",
            "expected a phrase with at least one letter or digit, got {value!r}",
            {"value": value},
        )
    if len(text) > MAX_PHRASE_CHARS:
        raise PydanticCustomError(
            "phrase", "expected a phrase of at most {limit} characters", {"limit": MAX_PHRASE_CHARS}
        )
    return text


Phrase = Annotated[str, BeforeValidator(_phrase)]


class RisingConfig(_Section):
    """Rising stories: eligible below min_heat when the heat climbs fast (jobs.selection)."""

    min_heat: Float = 70
    gain: Annotated[Float, Field(gt=0, le=100_000)] = 20
    within_hours: Annotated[Float, Field(gt=0, le=MAX_RISING_HOURS)] = 3


class PublishConfig(_Section):
    min_heat: Float = 100
    # None: no age window (the bundled sample uses it so it posts something on any date).
    max_age_hours: Annotated[Float, Field(gt=0, le=TEN_YEARS_HOURS)] | None = 24
    max_per_run: Annotated[Int, Field(ge=1, le=1000)] = 5
    # At most this many posts of one outlet per run (jobs.selection.source_key); absent: no cap.
    max_per_source: Annotated[Int, Field(ge=1, le=1000)] | None = None
    # A story takes other outlets' versions and source edits for this long after its first post.
    story_window_hours: Annotated[Float, Field(gt=0, le=WEEK_SECONDS / 3600)] = 48
    # Plain phrases (not patterns) that mark an article as not news, added to the built-in
    # list of paywall teasers (jobs.not_news.DEFAULT_PHRASES).
    exclude: Annotated[tuple[Phrase, ...], Field(max_length=MAX_PHRASES)] = ()
    rising: RisingConfig | None = None  # absent: off


class DeliveryConfig(_Section):
    max_messages_per_second: Annotated[Float, Field(gt=0, le=1000)] = 30
    paid_broadcast: bool = False


class HealthConfig(_Section):
    """An HTTP /healthz endpoint (200 while the database answers). In webhook mode it is served
    on the webhook's port anyway; this section adds it in polling mode."""

    listen: str = "0.0.0.0"  # probed from outside the container
    port: Port | None = None


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


class LoggingConfig(_Section):
    # any case: "info" is what an operator writes as often as "INFO"
    level: Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR"], BeforeValidator(_upper)] = "INFO"


class Config(_Section):
    telegram: TelegramConfig
    database: DatabaseConfig = DatabaseConfig()
    sources: tuple[Source, ...] = ()
    schedule: ScheduleConfig = ScheduleConfig()
    publish: PublishConfig = PublishConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    health: HealthConfig = HealthConfig()
    logging: LoggingConfig = LoggingConfig()
    topics: tuple[str, ...] = ()
    path: Path = Path("config.yaml")  # where it was read from; not a YAML key

    @property
    def folders(self) -> list[Path]:
        return [s.path for s in self.sources if isinstance(s, FolderSource)]

    @property
    def watched_folders(self) -> list[Path]:
        return [s.path for s in self.sources if isinstance(s, FolderSource) and s.watch]

    @property
    def feeds(self) -> list[FeedSource]:
        return [s for s in self.sources if isinstance(s, FeedSource)]

    def require_token(self) -> str:
        if not self.telegram.token:
            raise ConfigError(
                f"telegram.token: no bot token; set {TOKEN_ENV} in the environment "
                "(or telegram.token in the config file)"
            )
        return self.telegram.token


def _resolve_paths(config: Config, base: Path, from_env: bool) -> Config:
    sources = tuple(
        s.model_copy(update={"path": (base / s.path).resolve()})
        if isinstance(s, FolderSource) and not s.path.is_absolute()
        else s
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
        raw = read_yaml(text)
    except ConfigFileError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of sections (telegram:, database:, …)")
    raw.pop("path", None)
    merge_env(raw, env)
    try:
        config = Config.model_validate({**raw, "path": path})
    except ValidationError as exc:
        secrets = secrets_given(raw)
        details = "\n  ".join(named_from_env(describe(e, secrets), env) for e in exc.errors())
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
