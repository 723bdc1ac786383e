"""What a bot sets up about itself: who it is (getMe), its commands per scope and language, its
webhook, close and logOut."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from tests.fake_telegram.errors import bad_request
from tests.fake_telegram.outcome import Outcome
from tests.fake_telegram.params import Params
from tests.fake_telegram.state import TelegramState

_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_WEBHOOK_PORTS = (80, 88, 443, 8443)


def get_me(state: TelegramState, p: Params) -> Outcome:
    return Outcome(
        {
            **state.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
    )


def set_my_commands(state: TelegramState, p: Params) -> Outcome:
    commands = p.get("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    cleaned = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand JSON object")
        command, description = item.get("command"), item.get("description")
        if not isinstance(command, str) or not _COMMAND.fullmatch(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        cleaned.append({"command": command, "description": description})
    key = state.command_scope_key(p.get("scope"), p.string("language_code"))
    if cleaned:
        state.commands[key] = cleaned
    else:
        state.commands.pop(key, None)
    return Outcome(True)


def get_my_commands(state: TelegramState, p: Params) -> Outcome:
    key = state.command_scope_key(p.get("scope"), p.string("language_code"))
    return Outcome([dict(command) for command in state.commands.get(key, [])])


def delete_my_commands(state: TelegramState, p: Params) -> Outcome:
    state.commands.pop(state.command_scope_key(p.get("scope"), p.string("language_code")), None)
    return Outcome(True)


def set_webhook(state: TelegramState, p: Params) -> Outcome:
    url = p.string("url", "") or ""
    if p.boolean("drop_pending_updates"):
        state.drop_pending_updates()
    if not url:
        state.webhook = None
        return Outcome(True)
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if (parts.port or 443) not in _WEBHOOK_PORTS:
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
    secret = p.string("secret_token")
    if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise bad_request("bad webhook: secret token contains unallowed characters")
    if "allowed_updates" in p:
        state.allowed_updates = list(p.get("allowed_updates"))
    state.webhook = {
        "url": url,
        "secret_token": secret,
        "max_connections": p.integer("max_connections", 40),
    }
    return Outcome(True)


def delete_webhook(state: TelegramState, p: Params) -> Outcome:
    if p.boolean("drop_pending_updates"):
        state.drop_pending_updates()
    state.webhook = None
    return Outcome(True)


def get_webhook_info(state: TelegramState, p: Params) -> Outcome:
    info: dict[str, Any] = {
        "url": state.webhook["url"] if state.webhook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(state.updates),
    }
    if state.webhook:
        info["max_connections"] = state.webhook["max_connections"]
        if state.allowed_updates is not None:
            info["allowed_updates"] = list(state.allowed_updates)
    return Outcome(info)


def close(state: TelegramState, p: Params) -> Outcome:
    return Outcome(True)


def log_out(state: TelegramState, p: Params) -> Outcome:
    return Outcome(True)
