"""What a config mistake is called in words: pydantic's errors turned into "key: what was
expected, got what was given", where what was given is never a secret (the bot token, the
webhook secret, a database URL's password)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.url_secrets import shown_url

# Where the secrets live: an error about one of these keys never shows what was given.
SECRET_KEYS = frozenset({"telegram.token", "telegram.webhook.secret_token"})


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
    "finite_number": "expected a finite number",
    "source_kind": "expected a source with either path: (a folder) or url: (a JSON feed)",
}


_BOUNDS = {
    "greater_than": "greater than",
    "greater_than_equal": "of at least",
    "less_than": "less than",
    "less_than_equal": "of at most",
}


_SECTION_TYPES = frozenset({"model_type", "model_attributes_type", "dict_type"})


def _echo(error: Mapping[str, Any], loc: str, secrets: tuple[str, ...]) -> str:
    """ ", got <what was given>", or nothing where that could show a secret."""
    value = error.get("input")
    if (
        loc in SECRET_KEYS
        or error["type"] in _SECTION_TYPES
        or not isinstance(value, str | int | float | bool | None)
    ):
        # A mapping, a list or whatever stands in a section's place could hold a secret; it is
        # on screen in the file anyway.
        return ""
    shown = repr(shown_url(value) if isinstance(value, str) else value)
    for secret in secrets:
        shown = shown.replace(secret, "***")
    return f", got {shown}"


def describe(error: Mapping[str, Any], secrets: tuple[str, ...] = ()) -> str:
    loc = ""
    for part in error["loc"]:
        if isinstance(part, int):
            loc += f"[{part}]"
        elif not str(part).startswith("function-"):
            loc += f".{part}" if loc else str(part)
    # Union members show up as extra path parts ("telegram.channel.str"): hide them.
    loc = re.sub(
        r"\.(str|int|float|bool|none|folder|feed|WebhookConfig|constrained-\w+)\b",
        "",
        loc,
    )
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in _BOUNDS:
        bound = next(iter(ctx.values()), "")
        bound = f"{bound:g}" if isinstance(bound, float) else bound  # "1000", not "1000.0"
        message = f"expected a number {_BOUNDS[kind]} {bound}".rstrip()
    elif kind == "value_error":
        message = str(error["msg"]).removeprefix("Value error, ")
    elif kind == "bool_not_number":
        message = str(error["msg"])
    else:
        msg = str(error["msg"])  # only its first letter: it may quote values ('INFO')
        message = _EXPECTED.get(kind, msg[:1].lower() + msg[1:])
    if kind not in ("missing", "extra_forbidden"):
        message += _echo(error, loc, secrets)
    if loc == "telegram.token" and kind == "string_type":
        message += ": put the token in quotes"
    return f"{loc}: {message}"


def secrets_given(raw: dict[str, Any]) -> tuple[str, ...]:
    """The secret values given (env merged in), to blank out of any echoed input."""
    telegram = _mapping(raw.get("telegram"))
    webhook = _mapping(telegram.get("webhook"))
    found = (telegram.get("token"), webhook.get("secret_token"))
    # Short values ("1") are not secrets worth the cost of blanking every "1" in a message.
    return tuple(str(v) for v in found if isinstance(v, str | int) and len(str(v)) >= 4)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
