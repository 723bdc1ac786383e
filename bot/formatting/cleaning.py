"""Text as it arrives from feeds and files, made fit to show: plain text, decoded once, without
the source's artefacts or anything Telegram cannot send.

Rules: entities are unescaped once (only well-formed ones, semicolon required); markup tags that
are certainly markup are dropped (block tags leave a space); invisible and control characters
and the bidi controls that reorder what follows them (U+202A-202E, U+2066-2069) are removed;
whitespace runs become one space. An excerpt also loses the site's lead and tail
artefacts ("READ FULL ARTICLE", "Continue reading", WordPress footers) and placeholders ("N/A"),
and an excerpt the source cut off without a mark gets a "…". A topic becomes a hashtag of its
letters, digits and marks, or none if no letter survives.
"""

from __future__ import annotations

import html
import re
import unicodedata

from bot.formatting.limits import utf16_len
from bot.formatting.shortening import ELLIPSIS, is_cjk

# Escape sequences that leaked from a JSON or YAML encoder as two literal characters.
_LITERAL_ESCAPE = re.compile(r"\\([nrt\"'])")
# Only tags that are certainly markup: a generic pattern would also eat "vector<float>".
_MARKUP_TAG = re.compile(
    r"</?(?:(p|br|div|li|ul|ol|h[1-6]|blockquote)|a|b|i|u|em|strong|span|img|font|small)"
    r"(?:\s[^<>]{0,500})?/?>",
    re.IGNORECASE,
)
# Semicolon required: html.unescape would also turn "&parallel" into "¶llel".
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad"))
# A lone surrogate cannot be encoded as UTF-8 for the request; control characters are either
# rejected or shown as boxes.
_UNSENDABLE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_WHITESPACE = re.compile(r"\s+")
_MOJIBAKE = re.compile("[ÂÃâ][\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]")

_LEAD_ARTEFACT = re.compile(
    r"READ (?:THE )?FULL (?:ARTICLE|STORY)\s*[:|»>–—-]*\s*",
    re.IGNORECASE,
)
_ELIDED = re.compile(r"\s*[\[(]\s*(?:…|\.{3})\s*[\])]")
_REPEATED_ELLIPSIS = re.compile(r"…(?:\s*…)+")
_TAIL_ARTEFACTS = (
    # WordPress feed footer
    re.compile(r"\s*The post .{1,400}? appeared first on [^.]{1,120}\.?$", re.DOTALL),
    re.compile(
        # case-sensitive: "…all you need to read more." is a sentence, not a link label
        r"\s*(?:Continue reading|CONTINUE READING|Read more|READ MORE|Keep reading"
        r"|Read the full (?:article|story)|Click here to read more)"
        r"(?:\s*[\"“«][^\"”»]{0,300}[\"”»])?\s*[.:…»→›>-]*$",
    ),
    re.compile(r"\s*\(\s*more\s*(?:…|\.{3})?\s*\)$", re.IGNORECASE),
)
# Feeds write these when they have no excerpt at all.
_PLACEHOLDERS = frozenset({"na", "n/a", "none", "null", "-", "…"})
# Long enough for any footer above, short enough that a megabyte excerpt is not scanned with
# end-anchored patterns from every starting position.
_TAIL_WINDOW = 1000
# The site generator cuts excerpts at about 300 characters, mid-word and without any mark (a
# third of the corpus ends that way): a long excerpt that stops without closing punctuation was
# cut, and the reader should see that rather than "contributed to th".
_SOURCE_CUT_LENGTH = 295
_CLOSING = (".", "!", "?", ELLIPSIS, '"', "”", "’", "'", ")", "]", "»", "。", "！", "？")
_DANGLING = (",", ";", ":", "–", "—", "-", "，", "、")


def clean_excerpt(raw: str) -> str:
    """Plain text: entities unescaped once, source artefacts and runs of whitespace removed."""
    text = _LITERAL_ESCAPE.sub(_literal_escape, raw)
    text = _MARKUP_TAG.sub(_markup_tag, text)
    text = clean_text(text)
    if (lead := _LEAD_ARTEFACT.match(text)) is not None:
        text = text[lead.end() :]
    text = _REPEATED_ELLIPSIS.sub(ELLIPSIS, _ELIDED.sub(ELLIPSIS, text))
    head, tail = text[:-_TAIL_WINDOW], text[-_TAIL_WINDOW:]
    stripped = None
    while stripped != tail:
        stripped = tail
        for pattern in _TAIL_ARTEFACTS:
            tail = pattern.sub("", tail)
    text = (head + tail).strip()
    if text.endswith((ELLIPSIS, "...")):
        # the source's own truncation mark, in one character and attached to the last word
        text = text.rstrip(" ." + ELLIPSIS) + ELLIPSIS
    if text.casefold() in _PLACEHOLDERS:
        return ""
    if len(raw) >= _SOURCE_CUT_LENGTH and text and not text.endswith(_CLOSING):
        text = _mark_source_cut(text, mid_word=not raw[-1].isspace())
    elif text.endswith(_DANGLING):  # cut after a clause, at whatever length
        text = _mark_source_cut(text, mid_word=False)
    return text


def _mark_source_cut(text: str, *, mid_word: bool) -> str:
    if mid_word and not is_cjk(text[-1]):
        space = text.rfind(" ")
        if space > len(text) // 2:
            text = text[:space]
    return text.rstrip(" ,;:|/([{–—-，、") + ELLIPSIS


def _literal_escape(match: re.Match[str]) -> str:
    char = match.group(1)
    return " " if char in "nrt" else char


def _markup_tag(match: re.Match[str]) -> str:
    # block tags separate words; inline tags sit inside them
    return " " if match.group(1) else ""


def clean_text(text: str) -> str:
    """Titles, excerpts, source names and topics: decode, drop what cannot be sent, squeeze."""
    text = _ENTITY.sub(lambda m: html.unescape(m.group()), text)
    text = _repair_mojibake(text)
    text = strip_bidi_controls(text.translate(_INVISIBLE))
    text = _CONTROL.sub(" ", _UNSENDABLE.sub("", text))
    return _WHITESPACE.sub(" ", text).strip()


# Embeddings, overrides and isolates (LRE RLE PDF LRO RLO, LRI RLI FSI PDI) reorder everything
# after them up to their end or the end of the line: "Invoice \u202egpj.exe" shows as "Invoice
# exe.jpg", and one left open in a name runs on into the bot's own words after it. The marks
# (LRM U+200E, RLM U+200F, ALM U+061C) stay: they have no extent, so they move at most the
# punctuation and digits beside them and cannot turn a run of letters around, and Arabic and
# Hebrew text needs them to put its punctuation on the right side.
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def strip_bidi_controls(text: str) -> str:
    """`text` without the bidi controls that reorder what follows them: U+202A-202E and
    U+2066-2069. Everything the bot shows passes here: posts (clean_text) and replies."""
    return text.translate(_BIDI_CONTROLS)


def _repair_mojibake(text: str) -> str:
    # UTF-8 read as Windows-1252 ("â€™" for "’") appears in the corpus; undo it only when the
    # whole string round-trips, so text that merely contains "Ã" is left alone.
    if not _MOJIBAKE.search(text):
        return text
    try:
        return text.encode("cp1252").decode("utf-8")
    except UnicodeError:
        return text


def hashtag(topic: str) -> str | None:
    """A topic as a hashtag (AI in Healthcare -> #AIInHealthcare); None if no letter survives."""
    # "Women's Health" should read #WomensHealth, not #WomenSHealth
    text = clean_text(topic).replace("'", "").replace("’", "")
    # letters, digits and combining marks (Devanagari vowel signs are marks) make up a tag
    spaced = "".join(ch if unicodedata.category(ch)[0] in "LNM" else " " for ch in text)
    tag = "".join(word[:1].upper() + word[1:] for word in spaced.split())
    # Telegram links a hashtag only with at least one letter and up to 256 units
    if not any(ch.isalpha() for ch in tag) or utf16_len(tag) > 255:
        return None
    return "#" + tag
