"""Logging setup. The bot token must never reach a log line: httpx logs request URLs, which
contain it, and exception texts can too, so every line passes through a redacting formatter."""

from __future__ import annotations

import logging
import re
import sys

# A Bot API token: the bot's numeric id, a colon, then 30+ URL-safe characters.
_TOKEN_SHAPE = re.compile(r"\d{3,}:[A-Za-z0-9_-]{20,}")


class RedactingFormatter(logging.Formatter):
    def __init__(self, fmt: str, secrets: tuple[str, ...] = ()) -> None:
        super().__init__(fmt)
        self._secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return redact_tokens(text)


def redact_tokens(text: str) -> str:
    """`text` with anything shaped like a bot token blanked (a token pasted into a URL too)."""
    return _TOKEN_SHAPE.sub("[redacted-token]", text)


def configure_logging(level: str = "INFO", secrets: tuple[str, ...] = ()) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", secrets)
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Their INFO lines carry full request URLs (token included) and add nothing ours don't say.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for chatty in (
        "apscheduler",
        "alembic",
        "aiosqlite",
        "telegram.ext",
        "telegram.request",
        "watchfiles",  # a line per burst of changes: the watched run says it better
    ):
        logging.getLogger(chatty).setLevel(logging.WARNING)
