"""The Telegram objects the fake keeps, Chat and Message, and the JSON Telegram gives of them."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from tests.fake_telegram.html_entities import Entity


@dataclass
class Chat:
    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    admins: tuple[int, ...] = ()
    creator: int | None = None
    migrated_to: int | None = None
    blocked: str | None = None
    last_message_id: int = 0
    is_forum: bool = False
    threads: dict[int, str] = field(default_factory=dict)  # forum thread id -> open/closed/deleted
    # channels: what getChatMember says of the bot: "administrator" (can post), "no_post" (an
    # administrator without can_post_messages) or "left"
    bot_status: str = "administrator"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.is_forum:
            data["is_forum"] = True
        if self.type == "private":
            data["first_name"] = self.first_name or f"User {self.id}"
        else:
            data["title"] = self.title or f"Chat {self.id}"
        if self.username:
            data["username"] = self.username
        return data

    def full_info(self) -> dict[str, Any]:
        data = self.to_dict()
        data.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return data


@dataclass
class Message:
    """One message as the chat currently shows it (edits applied)."""

    chat_id: int
    message_id: int
    date: int
    from_bot: bool
    text: str = ""
    entities: tuple[Entity, ...] = ()
    kind: str = "text"  # "text" or "photo"
    reply_markup: dict[str, Any] | None = None
    photo: list[dict[str, Any]] | None = None
    # the URL or file_id the photo was sent or last edited from (None: an upload, or no photo):
    # what tests assert the message shows
    photo_source: str | None = None
    link_preview_options: dict[str, Any] | None = None
    reply_to_message_id: int | None = None
    thread_id: int | None = None  # message_thread_id: the forum thread it is in
    silent: bool = False  # sent with disable_notification
    edit_date: int | None = None
    deleted: bool = False
    raw: dict[str, Any] | None = None  # the update's own dict, for messages users sent

    def to_dict(
        self, chat: Chat, bot_user: dict[str, Any], users: dict[int, Any]
    ) -> dict[str, Any]:
        if self.raw is not None:
            return copy.deepcopy(self.raw)
        data: dict[str, Any] = {"message_id": self.message_id, "date": self.date}
        if chat.type == "channel":
            data["sender_chat"] = chat.to_dict()
        else:
            data["from"] = dict(bot_user)
        data["chat"] = chat.to_dict()
        if self.thread_id is not None:
            data["message_thread_id"] = self.thread_id
            data["is_topic_message"] = True
        if self.reply_to_message_id is not None:
            data["reply_to_message"] = {
                "message_id": self.reply_to_message_id,
                "date": self.date,
                "chat": chat.to_dict(),
            }
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.kind == "photo":
            data["photo"] = copy.deepcopy(self.photo)
            if self.text:
                data["caption"] = self.text
            if self.entities:
                data["caption_entities"] = [entity.to_dict() for entity in self.entities]
        else:
            data["text"] = self.text
            if self.entities:
                data["entities"] = [entity.to_dict() for entity in self.entities]
            if self.link_preview_options is not None:
                data["link_preview_options"] = copy.deepcopy(self.link_preview_options)
        if self.reply_markup is not None and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = copy.deepcopy(self.reply_markup)
        return data
