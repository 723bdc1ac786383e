"""Builders for the updates tests push into the fake (``fake.push_update(...)``).

They return plain Bot API dicts. Ids the fake owns are left out and filled in by push_update:
``update_id``, and ``message_id`` of incoming messages (next id in that chat). A callback query
must refer to a message the fake sent: push_update swaps in that message as the chat shows it.
"""

from __future__ import annotations

import itertools
import re
import time
from typing import Any

from tests.fake_telegram.html_entities import utf16_len

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(@[A-Za-z0-9_]{3,32})?")
_query_ids = itertools.count(1)


def user(
    user_id: int,
    username: str | None = None,
    first_name: str | None = None,
    language_code: str | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": user_id,
        "is_bot": False,
        "first_name": first_name or f"User {user_id}",
    }
    if username:
        data["username"] = username.removeprefix("@")
    if language_code:  # the IETF tag of the user's app, as Telegram sends it ("ru", "zh-hans")
        data["language_code"] = language_code
    return data


def chat(
    chat_id: int,
    chat_type: str = "private",
    *,
    username: str | None = None,
    title: str | None = None,
    first_name: str | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {"id": chat_id, "type": chat_type}
    if chat_type == "private":
        data["first_name"] = first_name or f"User {chat_id}"
    else:
        data["title"] = title or f"Chat {chat_id}"
    if username:
        data["username"] = username.removeprefix("@")
    return data


def command_entities(text: str) -> list[dict[str, Any]]:
    """The bot_command entity Telegram adds when a message starts with "/command"."""
    match = _COMMAND.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group())}]


def _forward_origin(forward_from: int | dict[str, Any], date: int) -> dict[str, Any]:
    if isinstance(forward_from, dict):
        if "type" in forward_from and "date" in forward_from:
            return forward_from
        return {"type": "user", "sender_user": forward_from, "date": date}
    if forward_from < 0:
        return {
            "type": "channel",
            "chat": chat(forward_from, "channel"),
            "message_id": 1,
            "date": date,
        }
    return {"type": "user", "sender_user": user(forward_from), "date": date}


def message_update(
    chat_id: int,
    user_id: int,
    text: str,
    *,
    chat_type: str = "private",
    username: str | None = None,
    edited: bool = False,
    forward_from: int | dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
    message_id: int | None = None,
    title: str | None = None,
    date: int | None = None,
    thread_id: int | None = None,
    language_code: str | None = None,
) -> dict[str, Any]:
    """A user's (or, with chat_type="channel", a channel's) text message. ``thread_id``: sent in
    that thread of a forum supergroup.

    ``entities`` default to the bot_command entity when the text starts with "/". ``username``
    is the sender's; ``forward_from`` a user id, a channel id (negative) or an origin dict.
    """
    sent = int(time.time()) if date is None else date
    message: dict[str, Any] = {"date": sent}
    if message_id is not None:
        message["message_id"] = message_id
    if chat_type == "channel":
        message["sender_chat"] = chat(chat_id, chat_type, title=title)
    else:
        message["from"] = user(user_id, username, language_code=language_code)
    message["chat"] = chat(
        chat_id,
        chat_type,
        title=title,
        username=username if chat_type == "private" else None,
    )
    if thread_id is not None:
        message["chat"]["is_forum"] = True
        message["message_thread_id"] = thread_id
        message["is_topic_message"] = True
    if forward_from is not None:
        message["forward_origin"] = _forward_origin(forward_from, sent)
    message["text"] = text
    found = command_entities(text) if entities is None else entities
    if found:
        message["entities"] = found
    if edited:
        message["edit_date"] = sent
    key = "channel_post" if chat_type == "channel" else "message"
    return {f"edited_{key}" if edited else key: message}


def callback_query_update(
    chat_id: int,
    user_id: int,
    message_id: int,
    data: str,
    *,
    chat_type: str = "private",
    username: str | None = None,
    query_id: str | None = None,
    language_code: str | None = None,
) -> dict[str, Any]:
    """A press on an inline button of message ``message_id`` (which the fake must have sent)."""
    return {
        "callback_query": {
            "id": query_id or f"fake-query-{next(_query_ids)}",
            "from": user(user_id, username, language_code=language_code),
            "chat_instance": f"instance{chat_id}",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": chat(chat_id, chat_type),
            },
        }
    }
