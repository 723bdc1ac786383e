"""How Telegram measures text against its limits: in UTF-16 code units, after entity parsing.

Rule: a text is within a limit when `visible_length` of its HTML (tags removed, Telegram's
entities decoded) is at most the limit; for plain text that is `utf16_len`.
"""

from __future__ import annotations

import re

CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096


def utf16_len(text: str) -> int:
    # surrogatepass: a stray lone surrogate is still one unit, not an exception
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


_TAG = re.compile(r"<[^<>]*>")
_TELEGRAM_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def visible_length(html_text: str) -> int:
    """The length Telegram checks against its limits: tags removed, entities decoded, UTF-16."""
    return utf16_len(_TELEGRAM_ENTITY.sub(_decode_entity, _TAG.sub("", html_text)))


def _decode_entity(match: re.Match[str]) -> str:
    name, decimal, hexadecimal = match.groups()
    if name:
        return _NAMED[name]
    code = int(decimal) if decimal else int(hexadecimal, 16)
    return chr(code) if code <= 0x10FFFF else "\ufffd"
