"""Cutting plain text to a length Telegram accepts, where a reader expects a cut.

Rule: a text over its limit (UTF-16 units) keeps as much as fits with room for "…", cut at a
space or next to a CJK character (which needs no space), never inside an emoji, flag or
combining sequence; if the last break would throw away more than a quarter of what fits, the cut
goes through the word. Trailing separators and dots before the "…" are dropped.
"""

from __future__ import annotations

import unicodedata

from bot.formatting.limits import utf16_len

ELLIPSIS = "…"
_ZWJ = "\u200d"


def shorten(text: str, limit: int) -> str:
    """`text` within `limit` UTF-16 units, cut at a word (or CJK character) and ending in "…"."""
    if utf16_len(text) <= limit:
        return text
    if limit < 1:
        return ""
    budget, units, cut = limit - 1, 0, 0
    for char in text:
        units += 2 if ord(char) > 0xFFFF else 1
        if units > budget:
            break
        cut += 1
    cut = _cluster_start(text, cut)
    if not _breakable(text, cut):
        cut = _cluster_start(text, _word_start(text, cut))
    head = text[:cut].rstrip(" ,;:|/([{–—-" + ELLIPSIS).rstrip(".")
    head = head[: _cluster_start(head, len(head))] if head.endswith(_ZWJ) else head
    return head + ELLIPSIS


def _extends_cluster(char: str) -> bool:
    code = ord(char)
    return (
        char == _ZWJ
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0xE0100 <= code <= 0xE01EF
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # tag sequences (subdivision flags)
        or code == 0x20E3  # keycap
        or unicodedata.category(char) in ("Mn", "Mc", "Me")
    )


def _is_regional_indicator(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def _cluster_start(text: str, cut: int) -> int:
    """Move `cut` back so it does not fall inside an emoji sequence or a combining sequence."""
    while 0 < cut < len(text) and (_extends_cluster(text[cut]) or text[cut - 1] == _ZWJ):
        cut -= 1
    while cut > 0 and text[cut - 1] == _ZWJ:  # cut at the very end of a truncated sequence
        cut -= 1
        while cut > 0 and _extends_cluster(text[cut]):
            cut -= 1
    if 0 < cut < len(text) and _is_regional_indicator(text[cut]):
        run = 0
        while run < cut and _is_regional_indicator(text[cut - 1 - run]):
            run += 1
        if run % 2:  # flags are pairs; an odd count before the cut splits one
            cut -= 1
    return cut


def is_cjk(char: str) -> bool:
    """A character of a script written without spaces: a line may break on either side."""
    code = ord(char)
    return (
        0x2E80 <= code <= 0x9FFF  # radicals, CJK punctuation, kana, ideographs
        or 0xF900 <= code <= 0xFAFF
        or 0xFF00 <= code <= 0xFFEF  # full-width forms
        or 0x20000 <= code <= 0x3FFFF
    )


def _breakable(text: str, cut: int) -> bool:
    if cut <= 0 or cut >= len(text):
        return True
    before, after = text[cut - 1], text[cut]
    return before.isspace() or after.isspace() or is_cjk(before) or is_cjk(after)


def _word_start(text: str, cut: int) -> int:
    """The last break before `cut`, unless that throws away more than a quarter of the text."""
    floor = cut * 3 // 4
    for index in range(cut - 1, max(floor, 0), -1):
        if _breakable(text, index):
            return index
    return cut  # one enormous word (a URL, a pathological title): cut through it
