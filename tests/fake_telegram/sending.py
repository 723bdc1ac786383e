"""The methods that post a message (sendMessage, sendPhoto) and the other answers to a chat
(sendChatAction, answerCallbackQuery): validation, replies, threads, photos, blocked chats and the
flood limits."""

from __future__ import annotations

import hashlib
from typing import Any

from tests.fake_telegram import errors, validation
from tests.fake_telegram.errors import bad_request, too_many_requests
from tests.fake_telegram.forums import check_thread
from tests.fake_telegram.objects import Chat, Message
from tests.fake_telegram.outcome import Outcome, message_outcome, unix_now
from tests.fake_telegram.params import Params, Upload
from tests.fake_telegram.state import TelegramState
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
    return message_outcome(state, message)


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
    message = _new_message(chat, p, thread_id, text, markup, reply_to, link_preview_options=preview)
    return _deliver(state, chat, p, message)


def _new_message(
    chat: Chat,
    p: Params,
    thread_id: int | None,
    text: FormattedText,
    markup: dict[str, Any] | None,
    reply_to: int | None,
    **content: Any,
) -> Message:
    """What every sending method stores: `content` is its own (a photo, a link preview)."""
    return Message(
        chat_id=chat.id,
        message_id=0,
        date=unix_now(),
        from_bot=True,
        text=text.text,
        entities=text.entities,
        reply_markup=markup,
        reply_to_message_id=reply_to,
        thread_id=thread_id,
        silent=p.boolean("disable_notification"),
        **content,
    )


def photo_sizes(file_id: str) -> list[dict[str, Any]]:
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


def photo_file_id(state: TelegramState, photo: Any) -> str:
    """The file a photo parameter names (an upload, a file_id, or a URL Telegram fetches),
    refused like Telegram refuses it; sendPhoto and editMessageMedia alike."""
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
    photo = p.values.get("photo")
    sizes = photo_sizes(photo_file_id(state, photo))
    state.file_ids.update(size["file_id"] for size in sizes)
    message = _new_message(
        chat,
        p,
        thread_id,
        caption,
        markup,
        reply_to,
        kind="photo",
        photo=sizes,
        photo_source=photo if isinstance(photo, str) else None,
    )
    return _deliver(state, chat, p, message)


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
