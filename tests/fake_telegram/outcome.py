"""What a Bot API method of the fake answers: its result, the chat it addressed and the text
users see (recorded in the Call)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fake_telegram.objects import Message
from tests.fake_telegram.params import Params
from tests.fake_telegram.state import TelegramState
from tests.fake_telegram.validation import FormattedText


@dataclass(frozen=True)
class Outcome:
    result: Any
    chat_id: int | None = None
    text: FormattedText | None = None


Method = Callable[[TelegramState, Params], Outcome]


def unix_now() -> int:
    """A message's date, as Telegram stamps it."""
    return int(time.time())


def message_outcome(state: TelegramState, message: Message) -> Outcome:
    return Outcome(
        state.message_dict(message),
        chat_id=message.chat_id,
        text=FormattedText(message.text, message.entities),
    )
