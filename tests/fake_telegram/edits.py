"""What Telegram adds to an edit beyond the checks on the message itself (methods.py): an edit
in a chat that blocked or removed the bot is refused like a send, and an edit in a group or a
channel counts against that chat's flood limit (20 a minute) and the overall one, as a message
does. Edits in private chats are not counted: Telegram's private-chat limit is on messages sent,
and a button's edit of its own menu is an answer, not a broadcast."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.fake_telegram.errors import too_many_requests
from tests.fake_telegram.params import Params
from tests.fake_telegram.state import TelegramState

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
