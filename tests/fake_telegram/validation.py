"""What Telegram checks in a message before it sends it: text, entities, lengths, markup."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tests.fake_telegram import errors
from tests.fake_telegram.errors import bad_request
from tests.fake_telegram.html_entities import Entity, HtmlEntityError, parse_html, utf16_len
from tests.fake_telegram.params import Params

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER = 200

_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_LINK_PREVIEW_BOOLEANS = (
    "is_disabled",
    "prefer_small_media",
    "prefer_large_media",
    "show_above_text",
)
_ENTITY_TYPES = frozenset(
    {
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
    }
)


@dataclass(frozen=True)
class FormattedText:
    text: str
    entities: tuple[Entity, ...]

    @property
    def length(self) -> int:
        return utf16_len(self.text)

    def entity_dicts(self) -> list[dict[str, Any]]:
        return [entity.to_dict() for entity in self.entities]


def _strip(text: str, entities: list[Entity]) -> FormattedText:
    """Trim surrounding whitespace as Telegram does, moving and clipping entities along."""
    stripped = text.strip()
    if not stripped:
        return FormattedText("", ())
    cut = utf16_len(text[: len(text) - len(text.lstrip())])
    end = utf16_len(text.rstrip())
    kept = []
    for entity in entities:
        start = max(entity.offset, cut)
        stop = min(entity.offset + entity.length, end)
        if stop > start:
            kept.append(
                Entity(
                    entity.type,
                    start - cut,
                    stop - start,
                    entity.url,
                    entity.language,
                    entity.custom_emoji_id,
                )
            )
    return FormattedText(stripped, tuple(kept))


def _explicit_entities(raw: Any, text: str) -> list[Entity]:
    if not isinstance(raw, list):
        raise bad_request("can't parse entities JSON object")
    total = utf16_len(text)
    entities = []
    for item in raw:
        if not isinstance(item, dict) or item.get("type") not in _ENTITY_TYPES:
            raise bad_request("can't parse MessageEntity JSON object")
        offset, length = item.get("offset"), item.get("length")
        if not isinstance(offset, int) or not isinstance(length, int) or offset < 0 or length < 1:
            raise bad_request("can't parse MessageEntity JSON object")
        if offset + length > total:
            raise bad_request("entity ends after the end of the text")
        entities.append(Entity.from_dict(item))
    return entities


def formatted(params: Params, text_key: str, entities_key: str) -> FormattedText:
    """Parse ``text_key`` per ``parse_mode`` (or explicit entities), then trim it."""
    text = params.string(text_key, "") or ""
    if entities_key in params:
        return _strip(text, _explicit_entities(params.get(entities_key), text))
    parse_mode = (params.string("parse_mode") or "").lower()
    if parse_mode == "":
        return _strip(text, [])
    if parse_mode != "html":
        # Markdown and MarkdownV2 exist in Telegram; the project only uses HTML
        raise bad_request(f"unsupported parse_mode (the fake only implements HTML): {parse_mode}")
    try:
        plain, entities = parse_html(text)
    except HtmlEntityError as exc:
        raise bad_request(f"can't parse entities: {exc.reason}") from None
    return _strip(plain, entities)


def message_text(params: Params) -> FormattedText:
    text = formatted(params, "text", "entities")
    if not text.text:
        raise bad_request(errors.MESSAGE_TEXT_EMPTY)
    if text.length > MAX_TEXT:
        raise bad_request(errors.MESSAGE_TOO_LONG)
    return text


def caption(params: Params) -> FormattedText:
    text = formatted(params, "caption", "caption_entities")
    if text.length > MAX_CAPTION:
        raise bad_request(errors.CAPTION_TOO_LONG)
    return text


def _is_button_url(url: Any) -> bool:
    if not isinstance(url, str) or url != url.strip():
        return False
    parts = urlsplit(url)
    if parts.scheme == "tg":
        return bool(parts.netloc or parts.path)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    text = button.get("text")
    if not isinstance(text, str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    if not text.strip():
        raise bad_request("BUTTON_TEXT_EMPTY")
    actions = [key for key in _BUTTON_ACTIONS if key in button]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad_request(
            "can't parse inline keyboard button: exactly one of the optional fields must be used, "
            f"got {', '.join(actions)}"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request(errors.BUTTON_DATA_INVALID)
    if "url" in button and not _is_button_url(button["url"]):
        raise bad_request(errors.BUTTON_URL_INVALID)


def inline_keyboard(markup: Any) -> dict[str, Any]:
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'can\'t parse reply keyboard markup JSON object: Field "inline_keyboard" '
            "must be an Array of Arrays"
        )
    for row in rows:
        for button in row:
            _inline_button(button)
    return markup


def _json_object(params: Params, name: str, what: str) -> dict[str, Any] | None:
    """The parameter `name` if it is a JSON object, None if absent; Telegram's "can't parse"
    error naming `what` if it is anything else."""
    if name not in params:
        return None
    value = params.get(name)
    if not isinstance(value, dict):
        raise bad_request(f"can't parse {what} JSON object")
    return value


def reply_markup(params: Params) -> dict[str, Any] | None:
    markup = _json_object(params, "reply_markup", "reply keyboard markup")
    if markup is None:
        return None
    if "inline_keyboard" in markup:
        return inline_keyboard(markup)
    if not any(key in markup for key in ("keyboard", "remove_keyboard", "force_reply")):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def link_preview_options(params: Params) -> dict[str, Any] | None:
    options = _json_object(params, "link_preview_options", "link preview options")
    if options is None:
        return None
    for key in _LINK_PREVIEW_BOOLEANS:
        if key in options and not isinstance(options[key], bool):
            raise bad_request(f'Field "{key}" must be of type Boolean')
    if "url" in options and not isinstance(options["url"], str):
        raise bad_request('Field "url" must be of type String')
    return options


def callback_answer_text(params: Params) -> str | None:
    text = params.string("text")
    if text is not None and utf16_len(text) > MAX_CALLBACK_ANSWER:
        raise bad_request(errors.CALLBACK_ANSWER_TOO_LONG)
    return text


def is_photo_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)
