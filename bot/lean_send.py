"""Broadcast sends that read only the message_id of Telegram's answer.

``Bot.send_message`` turns every answer into a full ``Message`` (chat, sender, entities, markup,
link preview): about 0.35 ms of CPU per send here, more than the HTTP call itself costs with
bot.transport. A broadcast keeps the message_id only. ``Bot._post`` is the step of every send
method before that parsing: defaults, the rate limiter, the request and PTB's error mapping
(RetryAfter, Forbidden, ...) all still apply. It is private API, so it is used here only, and
tests/test_transport.py fails loudly if a python-telegram-bot release changes it
(``do_api_request``, the public road to the same place, warns on every call to a method PTB
knows).
"""

from __future__ import annotations

from typing import Any

from telegram import Bot
from telegram._utils.types import ODVInput
from telegram.request import BaseRequest


async def send_for_id(
    bot: Bot,
    method: str,
    data: dict[str, Any],
    *,
    read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
) -> int:
    """Calls a Bot API method that answers with a Message; returns that message's id."""
    result = await bot._post(method, data, read_timeout=read_timeout)
    return int(result["message_id"])
