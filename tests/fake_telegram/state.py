"""What the fake Telegram knows: chats, users, messages, pending updates, commands, webhook.

Plain data, no I/O and no locking: the server serialises access with one lock.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fake_telegram import errors
from tests.fake_telegram.errors import ApiError, bad_request
from tests.fake_telegram.faults import FaultQueue
from tests.fake_telegram.forums import register_incoming_thread
from tests.fake_telegram.html_entities import Entity
from tests.fake_telegram.limits import RateLimiter
from tests.fake_telegram.objects import Chat, Message

BOT_USERNAME = "feedbot_test_bot"
BOT_FIRST_NAME = "Feedbot Test"
CHAT_TYPES = ("private", "group", "supergroup", "channel")
UPDATE_TYPES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)
# what Telegram sends when allowed_updates was never set (or set to [])
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_MESSAGE_UPDATES = ("message", "edited_message", "channel_post", "edited_channel_post")


def update_type(update: dict[str, Any]) -> str:
    kinds = [key for key in update if key != "update_id"]
    if len(kinds) != 1 or kinds[0] not in UPDATE_TYPES:
        raise ValueError(f"an update has update_id and exactly one of {UPDATE_TYPES}: {update}")
    return kinds[0]


def _bot_id(token: str) -> int:
    prefix = token.split(":", 1)[0]
    return int(prefix) if prefix.isdigit() else 123456


@dataclass
class TelegramState:
    token: str
    enforce_rate_limits: bool = True
    global_rate: float = 30.0
    clock: Callable[[], float] = time.monotonic
    auto_create_chats: bool = False
    chats: dict[int, Chat] = field(default_factory=dict)
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    messages: dict[tuple[int, int], Message] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)
    last_update_id: int = 0
    allowed_updates: list[str] | None = None
    webhook: dict[str, Any] | None = None
    commands: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    # (kind, language code or "") -> text: setMyDescription / setMyShortDescription
    descriptions: dict[tuple[str, str], str] = field(default_factory=dict)
    open_callback_queries: set[str] = field(default_factory=set)
    answered_callback_queries: dict[str, dict[str, Any]] = field(default_factory=dict)
    broken_urls: dict[str, str] = field(default_factory=dict)
    file_ids: set[str] = field(default_factory=set)
    last_file_number: int = 0
    faults: FaultQueue = field(default_factory=FaultQueue)
    response_delays: dict[str | None, float] = field(default_factory=dict)
    limiter: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(global_rate=self.global_rate, clock=self.clock)
        self.bot_id = _bot_id(self.token)
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": BOT_USERNAME,
        }

    # chats

    def add_chat(
        self,
        chat_id: int,
        type: str = "private",
        *,
        title: str | None = None,
        username: str | None = None,
        first_name: str | None = None,
        admins: tuple[int, ...] = (),
        creator: int | None = None,
        is_forum: bool | None = None,
    ) -> Chat:
        if type not in CHAT_TYPES:
            raise ValueError(f"chat type must be one of {CHAT_TYPES}, not {type!r}")
        if (type == "private" and chat_id <= 0) or (type != "private" and chat_id >= 0):
            raise ValueError(
                f"{type} chat ids are {'positive' if type == 'private' else 'negative'}"
            )
        username = username.removeprefix("@") if username else None
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = self.chats[chat_id] = Chat(chat_id, type)
        chat.type = type
        chat.title = title if title is not None else chat.title
        chat.username = username if username is not None else chat.username
        chat.first_name = first_name if first_name is not None else chat.first_name
        chat.admins = tuple(admins) or chat.admins
        chat.creator = creator if creator is not None else chat.creator
        chat.is_forum = is_forum if is_forum is not None else chat.is_forum
        if chat.is_forum and chat.type != "supergroup":
            raise ValueError("only supergroups can be forums")
        return chat

    def find_chat(self, ref: Any) -> Chat | None:
        if isinstance(ref, str):
            if ref.startswith("@"):
                name = ref[1:].lower()
                return next(
                    (c for c in self.chats.values() if (c.username or "").lower() == name), None
                )
            try:
                ref = int(ref)
            except ValueError:
                return None
        if not isinstance(ref, int) or isinstance(ref, bool):
            return None
        chat = self.chats.get(ref)
        if chat is None and self.auto_create_chats and ref != 0:
            kind = "private" if ref > 0 else "supergroup" if ref < -(10**12) else "group"
            chat = self.add_chat(ref, kind)
        return chat

    def chat_id_of(self, ref: Any) -> int | None:
        chat = self.find_chat(ref)
        if chat is not None:
            return chat.id
        return ref if isinstance(ref, int) and not isinstance(ref, bool) else None

    def resolve_chat(self, ref: Any) -> Chat:
        """The chat a request addresses, refusing unknown and migrated chats like Telegram."""
        chat = self.find_chat(ref)
        if chat is None:
            raise bad_request(errors.CHAT_NOT_FOUND)
        if chat.migrated_to is not None:
            raise bad_request(errors.GROUP_UPGRADED, {"migrate_to_chat_id": chat.migrated_to})
        return chat

    def migrate(self, old_id: int, new_id: int) -> None:
        old = self.chats.get(old_id)
        if old is None:
            raise ValueError(f"unknown chat {old_id}: add_chat it first")
        if new_id not in self.chats:
            self.add_chat(
                new_id,
                "supergroup",
                title=old.title,
                username=old.username,
                admins=old.admins,
                creator=old.creator,
            )
        old.migrated_to = new_id

    # users

    def user(self, user_id: int) -> dict[str, Any]:
        if user_id == self.bot_id:
            return dict(self.bot_user)
        return dict(
            self.users.get(user_id)
            or {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        )

    # messages

    def next_message_id(self, chat: Chat) -> int:
        chat.last_message_id += 1
        return chat.last_message_id

    def message(self, chat: Chat, message_id: int) -> Message | None:
        message = self.messages.get((chat.id, message_id))
        return None if message is None or message.deleted else message

    def message_dict(self, message: Message) -> dict[str, Any]:
        return message.to_dict(self.chats[message.chat_id], self.bot_user, self.users)

    def new_file_id(self, kind: str) -> str:
        self.last_file_number += 1
        file_id = f"Fake{kind.title()}FileId{self.last_file_number:06d}"
        self.file_ids.add(file_id)
        return file_id

    # updates

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        update = copy.deepcopy(update)
        kind = update_type(update)
        if update.get("update_id") is None:
            update["update_id"] = self.last_update_id + 1
        if update["update_id"] <= self.last_update_id:
            raise ValueError(
                f"update_id {update['update_id']} is not above the last one ({self.last_update_id})"
            )
        self.last_update_id = update["update_id"]
        if kind in _MESSAGE_UPDATES:
            self._register_incoming(update[kind])
        elif kind == "callback_query":
            self._register_callback_query(update[kind])
        elif kind in ("my_chat_member", "chat_member", "chat_join_request"):
            self._register_chat(update[kind]["chat"])
            self._register_user(update[kind].get("from"))
        self.updates.append(update)
        return update

    def push_raw_update(self, update: dict[str, Any]) -> dict[str, Any]:
        update = copy.deepcopy(update)
        if update.get("update_id") is None:
            update["update_id"] = self.last_update_id + 1
        self.last_update_id = max(self.last_update_id, update["update_id"])
        self.updates.append(update)
        return update

    def _register_chat(self, data: dict[str, Any]) -> Chat:
        chat = self.chats.get(data["id"])
        if chat is None:
            chat = self.add_chat(
                data["id"],
                data["type"],
                title=data.get("title"),
                username=data.get("username"),
                first_name=data.get("first_name"),
            )
        return chat

    def _register_user(self, data: dict[str, Any] | None) -> None:
        if data is not None and not data.get("is_bot"):
            self.users[data["id"]] = dict(data)

    def _register_incoming(self, data: dict[str, Any]) -> None:
        chat = self._register_chat(data["chat"])
        register_incoming_thread(chat, data)
        self._register_user(data.get("from"))
        if data.get("message_id") is None:
            if "edit_date" in data:
                raise ValueError("an edited message needs the message_id of the message it edits")
            data["message_id"] = self.next_message_id(chat)
        chat.last_message_id = max(chat.last_message_id, data["message_id"])
        self.messages[(chat.id, data["message_id"])] = Message(
            chat_id=chat.id,
            message_id=data["message_id"],
            date=data["date"],
            from_bot=False,
            text=data.get("text", ""),
            entities=tuple(Entity.from_dict(e) for e in data.get("entities", ())),
            raw=copy.deepcopy(data),
        )

    def _register_callback_query(self, data: dict[str, Any]) -> None:
        self._register_user(data.get("from"))
        stub = data.get("message")
        if stub is not None:
            chat = self.chats.get(stub["chat"]["id"])
            message = self.message(chat, stub["message_id"]) if chat else None
            if message is None:
                raise LookupError(
                    f"callback_query on message {stub['message_id']} in chat {stub['chat']['id']}"
                    ", which the fake never sent (or was deleted): send it first"
                )
            data["message"] = self.message_dict(message)
        self.open_callback_queries.add(data["id"])

    def confirm_updates(self, offset: int) -> None:
        if offset < 0:
            self.updates = self.updates[offset:]
        else:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]

    def deliverable_updates(self, limit: int) -> list[dict[str, Any]]:
        """Pending updates of the allowed types; updates of other types are dropped."""
        if self.allowed_updates:
            allowed = set(self.allowed_updates)
        else:
            allowed = set(UPDATE_TYPES) - _OPT_IN_UPDATES
        self.updates = [u for u in self.updates if update_type(u) in allowed]
        return copy.deepcopy(self.updates[:limit])

    def drop_pending_updates(self) -> None:
        self.updates.clear()

    # commands

    def command_scope_key(self, scope: Any, language_code: str | None) -> str:
        if scope is None:
            scope = {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in (
            "default",
            "all_private_chats",
            "all_group_chats",
            "all_chat_administrators",
            "chat",
            "chat_administrators",
            "chat_member",
        ):
            raise bad_request("can't parse BotCommandScope JSON object")
        canonical: dict[str, Any] = {"type": scope["type"]}
        if scope["type"].startswith("chat"):
            canonical["chat_id"] = self.resolve_chat(scope.get("chat_id")).id
        if scope["type"] == "chat_member":
            if not isinstance(scope.get("user_id"), int):
                raise bad_request("can't parse BotCommandScope JSON object")
            canonical["user_id"] = scope["user_id"]
        if language_code and not (len(language_code) == 2 and language_code.isalpha()):
            raise bad_request("invalid language code specified")
        return json.dumps([canonical, language_code or ""], sort_keys=True)

    # faults

    def check_not_blocked(self, chat: Chat) -> None:
        if chat.blocked is not None:
            raise ApiError(403, chat.blocked)
