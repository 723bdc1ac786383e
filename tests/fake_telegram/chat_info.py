"""What a bot may ask about a chat: getChat, getChatMember, getChatAdministrators (the creator,
the admins and, in a channel, the bot itself with the rights set_bot_status gave it)."""

from __future__ import annotations

from typing import Any

from tests.fake_telegram.errors import bad_request
from tests.fake_telegram.objects import Chat
from tests.fake_telegram.outcome import Outcome
from tests.fake_telegram.params import Params
from tests.fake_telegram.state import TelegramState


def get_chat(state: TelegramState, p: Params) -> Outcome:
    chat = state.resolve_chat(p.chat_ref())
    return Outcome(chat.full_info(), chat_id=chat.id)


def _member(state: TelegramState, chat: Chat, user_id: int) -> dict[str, Any]:
    user = state.user(user_id)
    if user_id == chat.creator:
        return {"status": "creator", "user": user, "is_anonymous": False}
    is_bot_in_channel = user_id == state.bot_id and chat.type == "channel"
    if is_bot_in_channel and chat.bot_status == "left":
        return {"status": "left", "user": user}
    if user_id in chat.admins or is_bot_in_channel:
        rights: dict[str, Any] = {
            "status": "administrator",
            "user": user,
            "can_be_edited": False,
            "is_anonymous": False,
            "can_manage_chat": True,
            "can_delete_messages": True,
            "can_manage_video_chats": True,
            "can_restrict_members": True,
            "can_promote_members": False,
            "can_change_info": True,
            "can_invite_users": True,
            "can_post_stories": False,
            "can_edit_stories": False,
            "can_delete_stories": False,
        }
        if chat.type == "channel":
            can_post = not (is_bot_in_channel and chat.bot_status == "no_post")
            rights.update(can_post_messages=can_post, can_edit_messages=can_post)
        else:
            rights["can_pin_messages"] = True
        return rights
    return {"status": "member", "user": user}


def get_chat_member(state: TelegramState, p: Params) -> Outcome:
    chat = state.resolve_chat(p.chat_ref())
    user_id = p.required_integer("user_id", "user not found")
    return Outcome(_member(state, chat, user_id), chat_id=chat.id)


def get_chat_administrators(state: TelegramState, p: Params) -> Outcome:
    chat = state.resolve_chat(p.chat_ref())
    if chat.type == "private":
        raise bad_request("there are no administrators in the private chat")
    ids = [chat.creator] if chat.creator is not None else []
    ids += [user_id for user_id in chat.admins if user_id != chat.creator]
    if chat.type == "channel" and state.bot_id not in ids:
        ids.append(state.bot_id)
    return Outcome([_member(state, chat, user_id) for user_id in ids], chat_id=chat.id)
