"""A strict fake of the Telegram Bot API served over HTTP on 127.0.0.1, for tests."""

from tests.fake_telegram.calls import Call
from tests.fake_telegram.core import DEFAULT_TOKEN
from tests.fake_telegram.html_entities import Entity, HtmlEntityError, parse_html, utf16_len
from tests.fake_telegram.objects import Message
from tests.fake_telegram.params import Upload
from tests.fake_telegram.server import FakeTelegram
from tests.fake_telegram.state import BOT_USERNAME
from tests.fake_telegram.updates import callback_query_update, message_update

__all__ = [
    "BOT_USERNAME",
    "DEFAULT_TOKEN",
    "Call",
    "Entity",
    "FakeTelegram",
    "HtmlEntityError",
    "Message",
    "Upload",
    "callback_query_update",
    "message_update",
    "parse_html",
    "utf16_len",
]
