"""The Bot API methods the fake implements, by name (all but getUpdates, which waits: see
http_side.py). Each takes the state and the request's parameters and returns an Outcome or raises
ApiError; they run under the server's lock and never block. The families: sending.py,
edits.py, chat_info.py, bot_settings.py, descriptions.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.fake_telegram.bot_settings import (
    close,
    delete_my_commands,
    delete_webhook,
    get_me,
    get_my_commands,
    get_webhook_info,
    log_out,
    set_my_commands,
    set_webhook,
)
from tests.fake_telegram.chat_info import get_chat, get_chat_administrators, get_chat_member
from tests.fake_telegram.descriptions import DESCRIPTION_METHODS
from tests.fake_telegram.edits import (
    counted_as_message,
    delete_message,
    edit_message_caption,
    edit_message_media,
    edit_message_reply_markup,
    edit_message_text,
)
from tests.fake_telegram.outcome import Method, Outcome
from tests.fake_telegram.params import Params
from tests.fake_telegram.sending import (
    answer_callback_query,
    send_chat_action,
    send_message,
    send_photo,
)
from tests.fake_telegram.state import TelegramState

METHODS: dict[str, Method] = {
    "getMe": get_me,
    "deleteWebhook": delete_webhook,
    "setWebhook": set_webhook,
    "getWebhookInfo": get_webhook_info,
    "sendMessage": send_message,
    "sendPhoto": send_photo,
    "editMessageText": counted_as_message(edit_message_text),
    "editMessageCaption": counted_as_message(edit_message_caption),
    "editMessageMedia": counted_as_message(edit_message_media),
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
