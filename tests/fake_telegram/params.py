"""Turning a request's form / multipart / JSON fields into typed Bot API parameters.

Clients send form fields with every non-string value JSON-encoded (PTB does exactly that), so a
field is JSON-decoded only when the Bot API declares it as something other than a String: a text
of "123" or "true" must stay a string.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tests.fake_telegram.errors import CHAT_NOT_FOUND, bad_request

# parameters that are Integer, Boolean, Float, Array or Object somewhere in the Bot API
JSON_PARAMS = frozenset(
    {
        "allow_paid_broadcast",
        "allow_sending_without_reply",
        "allowed_updates",
        "cache_time",
        "caption_entities",
        "commands",
        "disable_notification",
        "drop_pending_updates",
        "entities",
        "from_chat_id",
        "has_spoiler",
        "limit",
        "link_preview_options",
        "max_connections",
        "media",  # InputMedia (editMessageMedia), an Array of them (sendMediaGroup)
        "message_id",
        "message_ids",
        "message_thread_id",
        "offset",
        "protect_content",
        "reply_markup",
        "reply_parameters",
        "reply_to_message_id",
        "scope",
        "show_alert",
        "show_caption_above_media",
        "timeout",
        "user_id",
    }
)
# Integer or String ("@channelusername")
_CHAT_ID_PARAMS = frozenset({"chat_id", "from_chat_id"})


@dataclass(frozen=True)
class Upload:
    """A file sent as a multipart part."""

    filename: str | None
    content_type: str | None
    size: int


def decode_field(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in _CHAT_ID_PARAMS:
        try:
            return int(value)
        except ValueError:
            return value
    if name not in JSON_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise bad_request(f"can't parse {name} JSON object") from None


def decode_params(raw: dict[str, Any]) -> dict[str, Any]:
    return {name: decode_field(name, value) for name, value in raw.items()}


class Params:
    """Typed access to one request's parameters, refusing like Telegram does."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def __contains__(self, name: str) -> bool:
        return self.values.get(name) is not None

    def get(self, name: str, default: Any = None) -> Any:
        value = self.values.get(name)
        return default if value is None else value

    def string(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, (dict, list, Upload)):
            raise bad_request(f'field "{name}" must be of type String')
        return str(value)

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise bad_request(f'field "{name}" must be of type Integer')
        try:
            return int(value)
        except ValueError:
            raise bad_request(f'field "{name}" must be of type Integer') from None

    def number(self, name: str, default: float) -> float:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad_request(f'field "{name}" must be of type Integer')
        return float(value)

    def required_integer(self, name: str, missing: str) -> int:
        value = self.integer(name)
        if value is None:
            raise bad_request(missing)
        return value

    def boolean(self, name: str) -> bool:
        value = self.values.get(name)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise bad_request(f'field "{name}" must be of type Boolean')
        return value

    def chat_ref(self, name: str = "chat_id") -> int | str:
        value = self.values.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise bad_request(CHAT_NOT_FOUND)
        return value
