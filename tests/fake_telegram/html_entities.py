"""Telegram's HTML parse mode, as a pure function.

Modelled on tdlib's ``parse_html`` (the code behind the Bot API server): the same tag set, the
same error texts and UTF-8 byte offsets, entities measured in UTF-16 code units. It is stricter
than tdlib where the Bot API documentation is stricter than the implementation: tdlib lets a
bare ``&``, ``>`` or an unknown named entity (``&nbsp;``) through as literal text and ignores
unknown attributes, while the documentation says every ``<``, ``>`` and ``&`` outside a tag or
entity must be escaped. Refusing them here catches the escaping bugs that would otherwise only
show up with other clients or a future server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
}
_TAGS = {*_SIMPLE_TAGS, "span", "a", "code", "pre", "blockquote", "tg-emoji"}
_ATTRIBUTES = {"a": {"href"}, "span": {"class"}, "code": {"class"}, "tg-emoji": {"emoji-id"}}
_VALUELESS_ATTRIBUTES = {"blockquote": {"expandable"}}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACES = " \t\n\r\f\v"


class HtmlEntityError(ValueError):
    """The text is not valid Telegram HTML; ``reason`` is what follows "can't parse entities: "."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Entity:
    """A MessageEntity as the Bot API returns it (offsets and lengths in UTF-16 code units)."""

    type: str
    offset: int
    length: int
    url: str | None = None
    language: str | None = None
    custom_emoji_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.type, "offset": self.offset, "length": self.length}
        for key in ("url", "language", "custom_emoji_id"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entity:
        return cls(
            type=data["type"],
            offset=data["offset"],
            length=data["length"],
            url=data.get("url"),
            language=data.get("language"),
            custom_emoji_id=data.get("custom_emoji_id"),
        )


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _OpenTag:
    name: str
    argument: str
    offset: int
    text_start: int
    byte_offset: int


class _Parser:
    def __init__(self, html: str) -> None:
        self.html = html
        self.pos = 0
        self.out: list[str] = []
        self.utf16 = 0
        self.open: list[_OpenTag] = []
        self.entities: list[Entity] = []

    def fail(self, message: str, at: int | None = None) -> HtmlEntityError:
        if at is None:
            return HtmlEntityError(message)
        offset = len(self.html[:at].encode("utf-8"))
        return HtmlEntityError(f"{message} at byte offset {offset}")

    def peek(self, ahead: int = 0) -> str:
        index = self.pos + ahead
        return self.html[index] if index < len(self.html) else ""

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.utf16 += utf16_len(text)

    def text_so_far(self) -> str:
        return "".join(self.out)

    def parse(self) -> tuple[str, list[Entity]]:
        while self.pos < len(self.html):
            char = self.html[self.pos]
            if char == "&":
                self.emit(self.entity_reference())
            elif char == "<":
                if self.peek(1) == "/":
                    self.end_tag()
                else:
                    self.start_tag()
            elif char == ">":
                raise self.fail('Character ">" must be escaped as "&gt;"', self.pos)
            else:
                self.emit(char)
                self.pos += 1
        if self.open:
            raise self.fail(
                f'Can\'t find end tag corresponding to start tag "{self.open[-1].name}"'
            )
        for index, entity in enumerate(self.entities):
            if entity.type == "code" and entity.language is not None:
                self.entities[index] = Entity("code", entity.offset, entity.length)
        self.entities.sort(key=lambda e: (e.offset, -e.length))
        return self.text_so_far(), self.entities

    def entity_reference(self) -> str:
        start = self.pos
        end = self.html.find(";", start)
        body = self.html[start + 1 : end] if end != -1 else ""
        if end == -1 or not body or len(body) > 10:
            raise self.fail('Character "&" must be escaped as "&amp;"', start)
        if body in _NAMED_ENTITIES:
            self.pos = end + 1
            return _NAMED_ENTITIES[body]
        if body.startswith("#"):
            digits = body[1:]
            try:
                code = int(digits[1:], 16) if digits[:1] == "x" else int(digits, 10)
            except ValueError:
                code = -1
            if digits[:1] in ("+", "-") or code <= 0 or code >= 0x110000:
                raise self.fail(f'Invalid numeric character reference "&{body};"', start)
            if 0xD800 <= code <= 0xDFFF:
                raise HtmlEntityError(
                    "Text contains invalid Unicode characters after decoding HTML entities, "
                    "check for unmatched surrogate code units"
                )
            self.pos = end + 1
            return chr(code)
        if body.isalnum():
            raise self.fail(f'Unsupported HTML entity "&{body};"', start)
        raise self.fail('Character "&" must be escaped as "&amp;"', start)

    def start_tag(self) -> None:
        begin = self.pos
        self.pos += 1
        while self.peek() and self.peek() not in _SPACES and self.peek() != ">":
            self.pos += 1
        if not self.peek():
            raise self.fail("Unclosed start tag", begin)
        name = self.html[begin + 1 : self.pos].lower()
        if name not in _TAGS:
            raise self.fail(f'Unsupported start tag "{name}"', begin)
        attributes = self.attributes(name, begin)
        self.pos += 1
        argument = ""
        if name == "a":
            argument = attributes.get("href", "")
        elif name == "span":
            if attributes.get("class") != "tg-spoiler":
                raise self.fail('Tag "span" must have class "tg-spoiler"', begin)
            argument = "spoiler"
        elif name == "code":
            css_class = attributes.get("class")
            if css_class is not None:
                if not css_class.startswith("language-"):
                    raise self.fail(
                        f'Unsupported class "{css_class}" in the tag "code", '
                        'expected "language-<name>"',
                        begin,
                    )
                argument = css_class.removeprefix("language-")
        elif name == "tg-emoji":
            argument = attributes.get("emoji-id", "")
        elif name == "blockquote" and "expandable" in attributes:
            argument = "expandable"
        self.open.append(_OpenTag(name, argument, self.utf16, len(self.out), begin))

    def attributes(self, tag: str, begin: int) -> dict[str, str]:
        found: dict[str, str] = {}
        while self.peek() != ">":
            while self.peek() and self.peek() in _SPACES:
                self.pos += 1
            if self.peek() == ">":
                break
            if not self.peek():
                raise self.fail(f'Unclosed start tag "{tag}"', begin)
            name_start = self.pos
            while self.peek() and self.peek() not in _SPACES and self.peek() not in "=>":
                self.pos += 1
            name = self.html[name_start : self.pos]
            if not name:
                raise self.fail(f'Empty attribute name in the tag "{tag}"', begin)
            while self.peek() and self.peek() in _SPACES:
                self.pos += 1
            if self.peek() != "=":
                if name in _VALUELESS_ATTRIBUTES.get(tag, ()):
                    found[name] = ""
                    continue
                raise self.fail(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}"', begin
                )
            self.pos += 1
            while self.peek() and self.peek() in _SPACES:
                self.pos += 1
            if not self.peek():
                raise self.fail(f'Unclosed start tag "{tag}"', begin)
            value = self.attribute_value(begin)
            allowed = _ATTRIBUTES.get(tag, set()) | _VALUELESS_ATTRIBUTES.get(tag, set())
            if name not in allowed:
                raise self.fail(f'Unsupported attribute "{name}" in the tag "{tag}"', begin)
            found[name] = value
        return found

    def attribute_value(self, begin: int) -> str:
        quote = self.peek()
        if quote not in ("'", '"'):
            token_start = self.pos
            while self.peek() and (
                (self.peek().isascii() and self.peek().isalnum()) or self.peek() in ".-"
            ):
                self.pos += 1
            if self.peek() and self.peek() not in _SPACES and self.peek() != ">":
                raise self.fail("Unexpected end of name token", token_start)
            if not self.peek():
                raise self.fail("Unclosed start tag", begin)
            return self.html[token_start : self.pos].lower()
        self.pos += 1
        value: list[str] = []
        while self.peek() and self.peek() != quote:
            if self.peek() == "&":
                value.append(self.entity_reference())
            elif self.peek() in "<>":
                raise self.fail(
                    f'Character "{self.peek()}" must be escaped in attribute values', self.pos
                )
            else:
                value.append(self.peek())
                self.pos += 1
        if not self.peek():
            raise self.fail("Unclosed start tag", begin)
        self.pos += 1
        return "".join(value)

    def end_tag(self) -> None:
        begin = self.pos
        if not self.open:
            raise self.fail("Unexpected end tag", begin)
        self.pos += 2
        while self.peek() and self.peek() not in _SPACES and self.peek() != ">":
            self.pos += 1
        name = self.html[begin + 2 : self.pos].lower()
        while self.peek() and self.peek() in _SPACES:
            self.pos += 1
        if self.peek() != ">":
            raise self.fail("Unclosed end tag", begin)
        self.pos += 1
        tag = self.open.pop()
        if name and name != tag.name:
            raise self.fail(
                f"Unmatched end tag at byte offset {len(self.html[:begin].encode())}, "
                f'expected "</{tag.name}>", found "</{name}>"'
            )
        length = self.utf16 - tag.offset
        if length > 0:
            self.close_entity(tag, length)

    def close_entity(self, tag: _OpenTag, length: int) -> None:
        offset = tag.offset
        if tag.name in _SIMPLE_TAGS or tag.name == "span":
            self.entities.append(Entity(_SIMPLE_TAGS.get(tag.name, "spoiler"), offset, length))
        elif tag.name == "a":
            url = tag.argument or "".join(self.out[tag.text_start :])
            self.entities.append(Entity("text_link", offset, length, url=url))
        elif tag.name == "blockquote":
            kind = "expandable_blockquote" if tag.argument else "blockquote"
            self.entities.append(Entity(kind, offset, length))
        elif tag.name == "tg-emoji":
            if not tag.argument.isdigit() or int(tag.argument) == 0:
                raise HtmlEntityError("Invalid custom emoji identifier specified")
            self.entities.append(
                Entity("custom_emoji", offset, length, custom_emoji_id=tag.argument)
            )
        elif tag.name in ("code", "pre"):
            self.close_code_or_pre(tag, offset, length)

    def close_code_or_pre(self, tag: _OpenTag, offset: int, length: int) -> None:
        """A <pre> and a <code class="language-…"> around the same text, either one inside the
        other, are one pre entity with the code's language."""
        last = self.entities[-1] if self.entities else None
        if tag.name == "code":
            other, language = "pre", tag.argument
        else:
            other, language = "code", last.language if last is not None else None
        if (
            last is not None
            and last.type == other
            and (last.offset, last.length) == (offset, length)
            and language
        ):
            self.entities[-1] = Entity("pre", offset, length, language=language)
        elif tag.name == "code":
            # the language is only kept if an enclosing <pre> claims it (the branch above)
            self.entities.append(Entity("code", offset, length, language=tag.argument or None))
        else:
            self.entities.append(Entity("pre", offset, length))


def parse_html(html: str) -> tuple[str, list[Entity]]:
    """Return the plain text and entities Telegram would make of ``html``.

    Raises HtmlEntityError with tdlib's wording for what Telegram refuses, and for the unescaped
    ``&`` / ``>`` / unknown entities / unknown attributes that the documentation forbids.
    """
    return _Parser(html).parse()
