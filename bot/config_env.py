"""What the environment overrides in config.yaml (the token, the webhook secret, the database
URL: the secrets compose passes in), and how an error in such a value names its variable."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
DATABASE_URL_ENV = "DATABASE_URL"
WEBHOOK_SECRET_ENV = "TELEGRAM_WEBHOOK_SECRET"

# The key each variable overrides: an error in the variable's value names it, or the operator
# goes to fix a config line that is not in force.
FROM_ENV = {
    "telegram.token": TOKEN_ENV,
    "telegram.webhook.secret_token": WEBHOOK_SECRET_ENV,
    "database.url": DATABASE_URL_ENV,
}


def merge_env(raw: dict[str, Any], env: Mapping[str, str]) -> None:
    """Put the variables that are set over the file's values, in place."""
    if env.get(TOKEN_ENV):
        telegram = raw.setdefault("telegram", {})
        if isinstance(telegram, dict):
            telegram["token"] = env[TOKEN_ENV]
    if env.get(WEBHOOK_SECRET_ENV):
        webhook = (
            raw.get("telegram", {}).get("webhook")
            if isinstance(raw.get("telegram"), dict)
            else None
        )
        if isinstance(webhook, dict):
            webhook["secret_token"] = env[WEBHOOK_SECRET_ENV]
    if env.get(DATABASE_URL_ENV):
        database = raw.setdefault("database", {})
        if isinstance(database, dict):
            database["url"] = env[DATABASE_URL_ENV]


def named_from_env(line: str, env: Mapping[str, str]) -> str:
    """An error line "key: …" as "key (from VARIABLE): …" when a set variable gave the value."""
    loc, colon, rest = line.partition(":")
    variable = FROM_ENV.get(loc)
    return f"{loc} (from {variable}){colon}{rest}" if variable and env.get(variable) else line
