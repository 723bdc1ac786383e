"""setMyDescription / setMyShortDescription and their getters, as strict as Telegram: the
description 0-512 characters, the short one 0-120, a language code of two letters or none; an
empty text removes the one for that language (getters then fall back to the default)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.fake_telegram.errors import bad_request
from tests.fake_telegram.params import Params
from tests.fake_telegram.state import TelegramState

LIMITS = {"description": 512, "short_description": 120}


def _language(p: Params) -> str:
    code = p.string("language_code") or ""
    if code and not (len(code) == 2 and code.isalpha() and code.islower()):
        raise bad_request("invalid language code specified")
    return code


def _setter(kind: str) -> Callable[[TelegramState, Params], Any]:
    def set_description(state: TelegramState, p: Params) -> Any:
        text = p.string(kind) or ""
        if len(text) > LIMITS[kind]:
            raise bad_request(f"{kind.upper()}_INVALID")
        key = (kind, _language(p))
        if text:
            state.descriptions[key] = text
        else:
            state.descriptions.pop(key, None)
        return True

    return set_description


def _getter(kind: str) -> Callable[[TelegramState, Params], Any]:
    def get_description(state: TelegramState, p: Params) -> Any:
        code = _language(p)
        text = state.descriptions.get((kind, code), state.descriptions.get((kind, ""), ""))
        return {kind: text}

    return get_description


# method name -> what it answers (methods.py wraps each in an Outcome)
DESCRIPTION_METHODS = {
    "setMyDescription": _setter("description"),
    "setMyShortDescription": _setter("short_description"),
    "getMyDescription": _getter("description"),
    "getMyShortDescription": _getter("short_description"),
}
