"""Editing and deleting the bot's messages. editMessageMedia replaces a message's photo (fetched
by URL like sendPhoto's, refused alike) and its caption with the InputMedia's; as Telegram
documents it, it may also add a photo to a text message. Beyond the checks on the message
itself, an edit in a chat that blocked or removed the bot is refused like a send, and an edit
in a group or a channel counts against that chat's flood limit (20 a minute) and the overall
one, as a message does. Edits in private chats are not counted: Telegram's private-chat limit
is on messages sent, and a button's edit of its own menu is an answer, not a broadcast."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.fake_telegram import errors, validation
from tests.fake_telegram.errors import bad_request, too_many_requests
from tests.fake_telegram.objects import Chat, Message
from tests.fake_telegram.outcome import Outcome, message_outcome, unix_now
from tests.fake_telegram.params import Params, Upload
from tests.fake_telegram.sending import photo_file_id, photo_sizes
from tests.fake_telegram.state import TelegramState
from tests.fake_telegram.validation import FormattedText

EditMethod = Callable[[TelegramState, Params], Any]


def counted_as_message(method: EditMethod) -> EditMethod:
    def edit(state: TelegramState, p: Params) -> Any:
        if "inline_message_id" not in p and "chat_id" in p:
            chat = state.find_chat(p.chat_ref())
            if chat is not None:
                state.check_not_blocked(chat)
                if state.enforce_rate_limits and chat.type != "private":
                    wait = state.limiter.acquire(chat.id, is_private=False)
                    if wait is not None:
                        raise too_many_requests(wait)
        return method(state, p)

    edit.__name__ = method.__name__
    return edit


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
    message.edit_date = unix_now()
    return message_outcome(state, message)


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


# the InputMedia types Telegram knows; the fake implements photos only
_MEDIA_TYPES = frozenset({"animation", "audio", "document", "photo", "video", "live_photo"})


def _input_photo(state: TelegramState, p: Params) -> tuple[str, str | None, FormattedText]:
    """The photo's file id, its source (a URL or file_id; None for an upload) and its caption,
    from the request's `media` (an InputMedia, JSON-encoded; its file an "attach://<part>")."""
    media = p.get("media")
    if not isinstance(media, dict) or not isinstance(media.get("type"), str):
        raise bad_request("can't parse InputMedia JSON object")
    if media["type"] not in _MEDIA_TYPES:
        raise bad_request("can't parse InputMedia: unsupported media type")
    if media["type"] != "photo":
        raise bad_request(f"unsupported InputMedia type (the fake only implements photo): {media}")
    caption = validation.caption(Params(media))
    source = media.get("media")
    if isinstance(source, str) and source.startswith("attach://"):
        upload = p.values.get(source.removeprefix("attach://"))
        if not isinstance(upload, Upload):
            raise bad_request(errors.WRONG_FILE_ID_OR_URL)
        return photo_file_id(state, upload), None, caption
    return photo_file_id(state, source), source, caption


def edit_message_media(state: TelegramState, p: Params) -> Outcome:
    target = _message_to_edit(state, p)
    file_id, source, caption = _input_photo(state, p)
    markup = _edit_markup(p)
    if target is None:
        return Outcome(True, text=caption)
    _, message = target
    sizes = photo_sizes(file_id)
    same_photo = message.kind == "photo" and message.photo == sizes
    same_caption = (caption.text, caption.entities) == (message.text, message.entities)
    if same_photo and same_caption and markup == message.reply_markup:
        raise bad_request(errors.NOT_MODIFIED)
    state.file_ids.update(size["file_id"] for size in sizes)
    message.kind, message.photo, message.photo_source = "photo", sizes, source
    message.link_preview_options = None  # a text message given a photo: its caption now
    message.text, message.entities = caption.text, caption.entities
    message.reply_markup = markup
    message.edit_date = unix_now()
    return message_outcome(state, message)


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
