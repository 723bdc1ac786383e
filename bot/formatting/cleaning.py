"""Text as it arrives from feeds and files, made fit to show: plain text, decoded once, without
the source's artefacts or anything Telegram cannot send.

Rules: entities are unescaped once (only well-formed ones, semicolon required); markup tags that
are certainly markup are dropped (block tags leave a space); invisible and control characters
and the bidi controls that reorder what follows them (U+202A-202E, U+2066-2069) are removed;
whitespace runs become one space. An excerpt also loses the sources' boilerplate ("READ FULL
ARTICLE", "Continue reading", WordPress footers, share widgets: the patterns in boilerplate.yaml),
its fragment joins (" ... ", "[…]") become one "…", a placeholder ("N/A", "English") is no
excerpt, and an excerpt that does not end a sentence (closing punctuation, or an emoji) ends with
"…" (an abbreviation such as "vs." ends none, and gives way to the "…"); one the site cut inside
a word loses that word, and then ends as it is when what is left ends a sentence. A topic
becomes a hashtag of its letters, digits and marks, or none if no letter survives.
"""

from __future__ import annotations

import html
import re
import unicodedata

from bot.formatting.boilerplate import is_placeholder, strip_boilerplate
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

_ELIDED = re.compile(r"\s*[\[(]\s*(?:…|\.{3})\s*[\])]")
# Where the source joined fragments of the article: "Jones ... recognition", "Apps….The",
# "faster … … and": one "…" on the word before, one space after.
_FRAGMENT_JOIN = re.compile(r"\s*(?:\.{3,}|…)(?:[\s.]*(?:\.{3,}|…))*\.?")
# The site generator cuts excerpts at about 300 characters, mid-word and without any mark (a
# third of the corpus ends that way): a long excerpt that stops without closing punctuation was
# cut inside its last word, and the reader should see "contributed…" rather than "contributed
# to th". A shorter one that stops without a mark ("…in Market. It describes") was cut too, or
# is a headline-like fragment; either way it does not end a sentence, and says so with "…".
_SOURCE_CUT_LENGTH = 295
# Abbreviations that end in "." but never end a sentence.
_NOT_AN_END = frozenset({"vs.", "e.g.", "i.e.", "mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "no."})
# What may not stand before a cut's "…": "help novice,…" reads as a typo.
_DANGLING = " ,;:|/([{–—-，、"
_CLOSING = (".", "!", "?", ELLIPSIS, '"', "”", "’", "'", ")", "]", "»", "。", "！", "？")


def clean_excerpt(raw: str) -> str:
    """Plain text: entities unescaped once, the sources' boilerplate (boilerplate.yaml) and runs
    of whitespace removed, fragment joins made one "…"; a placeholder becomes "", and an excerpt
    that does not end a sentence ends with "…"."""
    text = _LITERAL_ESCAPE.sub(_literal_escape, raw)
    text = _MARKUP_TAG.sub(_markup_tag, text)
    text = strip_boilerplate(clean_text(text))
    text = _FRAGMENT_JOIN.sub(_fragment_join, _ELIDED.sub(ELLIPSIS, text)).strip()
    if text.endswith(ELLIPSIS):
        # the source's own truncation mark, in one character and attached to the last word
        text = text.rstrip(_DANGLING + "." + ELLIPSIS) + ELLIPSIS
    if is_placeholder(text):
        return ""
    if text and not _ends_sentence(text):
        long_cut = len(raw) >= _SOURCE_CUT_LENGTH and not raw[-1].isspace()
        text = _mark_source_cut(text, mid_word=long_cut)
    return text


def _fragment_join(match: re.Match[str]) -> str:
    after = match.string[match.end() : match.end() + 1]
    return ELLIPSIS + (" " if after and not after.isspace() else "")


def _ends_sentence(text: str) -> bool:
    # a closing mark, or an emoji or symbol a headline ends on ("… de visión 🚀"); a sentence
    # does not end on "vs." or "e.g.": the site cut it there
    last = text.rstrip("\ufe0f")[-1:]
    if text.rpartition(" ")[2].casefold() in _NOT_AN_END:
        return False
    return text.endswith(_CLOSING) or unicodedata.category(last) == "So"


def _mark_source_cut(text: str, *, mid_word: bool) -> str:
    if mid_word and not is_cjk(text[-1]):
        space = text.rfind(" ")
        if space > len(text) // 2:
            text = text[:space]
            if _ends_sentence(text):  # the site cut the next sentence's first word: no ".…"
                return text
    head, _, last = text.rpartition(" ")
    if last.startswith(("http://", "https://")):
        return text + ELLIPSIS  # an address keeps its last "/"; Telegram's link stops at "…"
    if head and last.casefold() in _NOT_AN_END:
        text = head  # "models vs.…" reads as a typo; the word it leads to is cut anyway
    return text.rstrip(_DANGLING) + ELLIPSIS


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
