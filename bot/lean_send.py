"""Broadcast sends: one post to many chats, Telegram's answer read for its message_id only.

``Bot.send_message`` spends more CPU per send than the HTTP call does with bot.transport: it
turns each answer into a full ``Message`` (chat, sender, entities, markup, link preview, about
0.35 ms here) and converts and form-encodes every parameter again for every chat. A broadcast
keeps only the message_id, and only the chat_id (and a forum's message_thread_id) differs from
one send to the next, so the rest is encoded once (``prepare_call``, with PTB's own encoding)
and each send puts those in front of it.

Over bot.transport the body goes straight to ``AiohttpRequest.post_form``, through the error
mapping of PTB's BaseRequest (RetryAfter, Forbidden, ChatMigrated, ...). It skips ExtBot's
rate-limiter hook, which lets broadcast sends through untouched anyway: the delivery worker
paces them through jobs.send_gate before they get here (bot.rate_limit). With any other
transport the send goes through ``Bot._post``, the step of every send method before the Message
is built (private API; tests/test_transport.py fails if a PTB release changes it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from telegram import Bot
from telegram._utils.types import ODVInput
from telegram.request import BaseRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from bot.transport import AiohttpRequest


@dataclass(frozen=True, slots=True)
class PreparedCall:
    method: str  # a Bot API method that answers with a Message
    data: dict[str, Any]  # its parameters but chat_id
    read_timeout: ODVInput[float]
    form: bytes  # data as PTB form-encodes it


def prepare_call(
    method: str, data: dict[str, Any], read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE
) -> PreparedCall:
    given = {name: value for name, value in data.items() if value is not None}
    parameters = [RequestParameter.from_input(name, value) for name, value in given.items()]
    form = RequestData(parameters).url_encoded_parameters().encode()
    return PreparedCall(method, given, read_timeout, form)


async def send_for_id(bot: Bot, call: PreparedCall, chat_id: int | str, thread_id: int = 0) -> int:
    """Sends the call to one chat (to its forum thread `thread_id`; 0: the chat itself);
    returns the id of the message Telegram made."""
    request = bot.request
    target: dict[str, int | str] = {"chat_id": chat_id}
    if thread_id:
        target["message_thread_id"] = thread_id
    if isinstance(request, AiohttpRequest):
        if isinstance(chat_id, int) and not thread_id:
            form = b"chat_id=%d&%b" % (chat_id, call.form)  # what urlencode makes of it
        else:
            form = f"{urlencode(target)}&".encode() + call.form
        url = f"{bot.base_url}/{call.method}"
        result = await request.post_form(url, form, read_timeout=call.read_timeout)
    else:
        data = {**target, **call.data}
        result = await bot._post(call.method, data, read_timeout=call.read_timeout)
    return int(result["message_id"])
