"""The Bot API methods the fake implements (all but getUpdates, which waits: see server.py).

Each takes the state and the request's parameters and returns an Outcome or raises ApiError.
They run under the server's lock and never block.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tests.fake_telegram import errors, validation
from tests.fake_telegram.descriptions import DESCRIPTION_METHODS
from tests.fake_telegram.edits import counted_as_message
from tests.fake_telegram.errors import bad_request, too_many_requests
from tests.fake_telegram.forums import check_thread
from tests.fake_telegram.params import Params, Upload
from tests.fake_telegram.state import Chat, Message, TelegramState
from tests.fake_telegram.validation import FormattedText

# the methods that post a message: they are flood-limited and refused in a blocked chat
SENDING_METHODS = frozenset({"sendMessage", "sendPhoto"})
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_WEBHOOK_PORTS = (80, 88, 443, 8443)


@dataclass(frozen=True)
class Outcome:
    result: Any
    chat_id: int | None = None
    text: FormattedText | None = None


Method = Callable[[TelegramState, Params], Outcome]


def _now() -> int:
    return int(time.time())


def _message_outcome(state: TelegramState, message: Message) -> Outcome:
    return Outcome(
        state.message_dict(message),
        chat_id=message.chat_id,
        text=FormattedText(message.text, message.entities),
    )


def _reply_to(state: TelegramState, chat: Chat, p: Params) -> int | None:
    reply = p.get("reply_parameters")
    if reply is None and "reply_to_message_id" in p:
        reply = {
            "message_id": p.get("reply_to_message_id"),
            "allow_sending_without_reply": p.boolean("allow_sending_without_reply"),
        }
    if reply is None:
        return None
    if not isinstance(reply, dict) or not isinstance(reply.get("message_id"), int):
        raise bad_request("can't parse ReplyParameters JSON object")
    if state.message(chat, reply["message_id"]) is not None:
        return int(reply["message_id"])
    if reply.get("allow_sending_without_reply"):
        return None
    raise bad_request("message to be replied not found")


def _deliver(state: TelegramState, chat: Chat, p: Params, message: Message) -> Outcome:
    """The common tail of every sending method: blocked chats, flood limits, storing."""
    state.check_not_blocked(chat)
    if state.enforce_rate_limits:
        wait = state.limiter.acquire(
            chat.id,
            is_private=chat.type == "private",
            paid=p.boolean("allow_paid_broadcast"),
        )
        if wait is not None:
            raise too_many_requests(wait)
    message.message_id = state.next_message_id(chat)
    state.messages[(chat.id, message.message_id)] = message
    return _message_outcome(state, message)


def _thread(chat: Chat, p: Params) -> int | None:
    thread_id = p.integer("message_thread_id")
    check_thread(chat, thread_id)
    return thread_id


def send_message(state: TelegramState, p: Params) -> Outcome:
    chat = state.resolve_chat(p.chat_ref())
    thread_id = _thread(chat, p)
    text = validation.message_text(p)
    markup = validation.reply_markup(p)
    preview = validation.link_preview_options(p)
    reply_to = _reply_to(state, chat, p)
    message = Message(
        chat_id=chat.id,
        message_id=0,
        date=_now(),
        from_bot=True,
        text=text.text,
        entities=text.entities,
        reply_markup=markup,
        link_preview_options=preview,
        reply_to_message_id=reply_to,
        thread_id=thread_id,
        silent=p.boolean("disable_notification"),
    )
    return _deliver(state, chat, p, message)


def _photo_sizes(file_id: str) -> list[dict[str, Any]]:
    unique = hashlib.sha1(file_id.encode()).hexdigest()[:16]
    return [
        {
            "file_id": f"{file_id}_{width}",
            "file_unique_id": f"{unique}{width}",
            "width": width,
            "height": width * 3 // 4,
            "file_size": width * 60,
        }
        for width in (90, 320, 800)
    ]


def _photo_file_id(state: TelegramState, photo: Any) -> str:
    if isinstance(photo, Upload):
        return state.new_file_id("photo")
    if not isinstance(photo, str) or not photo:
        raise bad_request("there is no photo in the request")
    if photo in state.broken_urls:
        raise bad_request(state.broken_urls[photo])
    if photo in state.file_ids:
        return photo
    if validation.is_photo_url(photo):
        # Telegram caches what it fetched: the same URL gives the same file
        digest = hashlib.sha1(photo.encode()).hexdigest()[:12]
        file_id = f"FakePhotoUrl{digest}"
        state.file_ids.add(file_id)
        return file_id
    raise bad_request(errors.WRONG_FILE_ID_OR_URL)


def send_photo(state: TelegramState, p: Params) -> Outcome:
    chat = state.resolve_chat(p.chat_ref())
    thread_id = _thread(chat, p)
    caption = validation.caption(p)
    markup = validation.reply_markup(p)
    reply_to = _reply_to(state, chat, p)
    sizes = _photo_sizes(_photo_file_id(state, p.values.get("photo")))
    state.file_ids.update(size["file_id"] for size in sizes)
    message = Message(
        chat_id=chat.id,
        message_id=0,
        date=_now(),
        from_bot=True,
        kind="photo",
        photo=sizes,
        text=caption.text,
        entities=caption.entities,
        reply_markup=markup,
        reply_to_message_id=reply_to,
        thread_id=thread_id,
        silent=p.boolean("disable_notification"),
    )
    return _deliver(state, chat, p, message)


def _message_to_edit(state: TelegramState, p: Params) -> tuple[Chat, Message] | None:
    """The addressed message, or None for inline messages (which the fake does not track)."""
    if "inline_message_id" in p:
        return None
    if "chat_id" not in p:
        raise bad_request("chat_id is empty")
    chat = state.resolve_chat(p.chat_ref())
    message_id = p.required_integer("message_id", "message identifier is not specified")
    message = state.message(chat, message_id)
    if message is None:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return chat, message


def _edit_markup(p: Params) -> dict[str, Any] | None:
    if "reply_markup" not in p:
        return None  # an edit without reply_markup removes the keyboard
    return validation.inline_keyboard(p.get("reply_markup"))


def _apply_edit(
    state: TelegramState,
    message: Message,
    text: FormattedText | None,
    markup: dict[str, Any] | None,
) -> Outcome:
    same_text = text is None or (text.text, text.entities) == (message.text, message.entities)
    if same_text and markup == message.reply_markup:
        raise bad_request(errors.NOT_MODIFIED)
    if text is not None:
        message.text, message.entities = text.text, text.entities
    message.reply_markup = markup
    message.edit_date = _now()
    return _message_outcome(state, message)


def edit_message_text(state: TelegramState, p: Params) -> Outcome:
    target = _message_to_edit(state, p)
    text = validation.message_text(p)
    markup = _edit_markup(p)
    preview = validation.link_preview_options(p)
    if target is None:
        return Outcome(True, text=text)
    _, message = target
    if message.kind != "text":
        raise bad_request("there is no text in the message to edit")
    if preview is not None:
        message.link_preview_options = preview
    return _apply_edit(state, message, text, markup)


def edit_message_caption(state: TelegramState, p: Params) -> Outcome:
    target = _message_to_edit(state, p)
    caption = validation.caption(p)
    markup = _edit_markup(p)
    if target is None:
        return Outcome(True, text=caption)
    _, message = target
    if message.kind == "text":
        raise bad_request("there is no caption in the message to edit")
    return _apply_edit(state, message, caption, markup)


def edit_message_reply_markup(state: TelegramState, p: Params) -> Outcome:
    target = _message_to_edit(state, p)
    markup = _edit_markup(p)
    if target is None:
        return Outcome(True)
    return _apply_edit(state, target[1], None, markup)


def delete_message(state: TelegramState, p: Params) -> Outcome:
    chat = state.resolve_chat(p.chat_ref())
    message_id = p.required_integer("message_id", "message identifier is not specified")
    message = state.message(chat, message_id)
    if message is None:
        raise bad_request("message to delete not found")
    message.deleted = True
    return Outcome(True, chat_id=chat.id)


def answer_callback_query(state: TelegramState, p: Params) -> Outcome:
    query_id = p.string("callback_query_id")
    if not query_id:
        raise bad_request("query_id is empty")
    text = validation.callback_answer_text(p)
    if query_id not in state.open_callback_queries:
        raise bad_request(errors.QUERY_TOO_OLD)
    state.open_callback_queries.discard(query_id)
    state.answered_callback_queries[query_id] = {
        "text": text,
        "show_alert": p.boolean("show_alert"),
        "url": p.string("url"),
    }
    return Outcome(True)


def send_chat_action(state: TelegramState, p: Params) -> Outcome:
    chat = state.resolve_chat(p.chat_ref())
    if p.string("action") not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    state.check_not_blocked(chat)
    return Outcome(True, chat_id=chat.id)


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


METHODS: dict[str, Method] = {
    "getMe": get_me,
    "deleteWebhook": delete_webhook,
    "setWebhook": set_webhook,
    "getWebhookInfo": get_webhook_info,
    "sendMessage": send_message,
    "sendPhoto": send_photo,
    "editMessageText": counted_as_message(edit_message_text),
    "editMessageCaption": counted_as_message(edit_message_caption),
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "answerCallbackQuery": answer_callback_query,
    "sendChatAction": send_chat_action,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "getChat": get_chat,
    "getChatMember": get_chat_member,
    "getChatAdministrators": get_chat_administrators,
    "close": close,
    "logOut": log_out,
}


def _answering(answer: Callable[[TelegramState, Params], Any]) -> Method:
    return lambda state, p: Outcome(answer(state, p))


METHODS.update({name: _answering(answer) for name, answer in DESCRIPTION_METHODS.items()})
# getUpdates is answered by the server (it waits); listed so that name lookup knows it
METHOD_NAMES = {name.lower(): name for name in [*METHODS, "getUpdates"]}
