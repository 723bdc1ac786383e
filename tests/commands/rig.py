"""What the command tests share besides their fixtures (those are in conftest.py): the chats,
users and topics of the rig, and the updates and article files the tests build."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.article_factory import write_article
from tests.fake_telegram import BOT_USERNAME, callback_query_update, message_update
from tests.fake_telegram.objects import Message
from tests.fake_telegram.server import FakeTelegram
from tests.fake_telegram.updates import chat as chat_dict
from tests.fake_telegram.updates import user as user_dict
from tests.live_bot import LiveBot

USER, OTHER, NEWCOMER = 1001, 1002, 1003
GROUP = -2001
ANONYMOUS_ADMIN_BOT = 1087968824  # Telegram's GroupAnonymousBot
TOPICS = [
    "AI",
    "Natural Language Processing",
    "Computer Vision",
    "Machine Learning",
    "Machine Vision",
    "Robotics",
    "AI in Healthcare",
    "TensorFlow",
    "Power Apps",
    "AI Ethics",
]
URL = "https://example.com/news/robots-read"
IMAGE = "https://img.example.com/robots.jpg"


def articles(tmp_path: Path) -> Path:
    return tmp_path / "articles"


def write(tmp_path: Path, name: str, **fields: Any) -> None:
    """An article file; "a.md" is at https://example.com/a unless `url` says otherwise."""
    fields.setdefault("url", f"https://example.com/{name.removesuffix('.md')}")
    fields.setdefault("image", IMAGE)
    write_article(articles(tmp_path), name, **fields)


def my_chat_member(chat_id: int, status: str, chat_type: str = "private") -> dict[str, Any]:
    bot_user = {
        "id": 123456,
        "is_bot": True,
        "first_name": "Feedbot Test",
        "username": BOT_USERNAME,
    }
    new: dict[str, Any] = {"status": status, "user": bot_user}
    if status == "kicked":
        new["until_date"] = 0
    return {
        "my_chat_member": {
            "chat": chat_dict(chat_id, chat_type),
            "from": user_dict(chat_id if chat_id > 0 else USER),
            "date": int(time.time()),
            "old_chat_member": {"status": "member", "user": bot_user},
            "new_chat_member": new,
        }
    }


def names(commands: list[dict[str, str]]) -> list[str]:
    return [c["command"] for c in commands]


def anonymous_admin(text: str) -> dict[str, Any]:
    """A message an anonymous admin sends: it comes from GroupAnonymousBot, as the group."""
    update = message_update(GROUP, ANONYMOUS_ADMIN_BOT, text, chat_type="group")
    update["message"]["sender_chat"] = chat_dict(GROUP, "group")
    return update


def bot_messages(fake: FakeTelegram, chat_id: int) -> list[Message]:
    return [m for m in fake.messages(chat_id) if m.from_bot]


async def press(
    bot: LiveBot,
    chat_id: int,
    user_id: int,
    message_id: int,
    data: str,
    language_code: str | None = None,
) -> str:
    """`user_id` taps a button of the bot's message; the text it was answered with."""
    query_id = f"q-{chat_id}-{message_id}-{data}-{len(bot.fake.calls)}"
    chat_type = "private" if chat_id > 0 else "supergroup"
    bot.fake.push_update(
        callback_query_update(
            chat_id,
            user_id,
            message_id,
            data,
            query_id=query_id,
            chat_type=chat_type,
            language_code=language_code,
        )
    )
    await bot.fake.wait_for_async(
        lambda f: query_id in f.answered_callback_queries, what=f"an answer to {data}"
    )
    await bot.settle()
    return bot.fake.answered_callback_queries[query_id]["text"] or ""
