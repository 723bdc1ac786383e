"""Cutting plain text to a length Telegram accepts, where a reader expects a cut.

Rule: a text over its limit (UTF-16 units) keeps as much as fits with room for "…", cut at a
space or next to a CJK character (which needs no space), never inside a grapheme cluster (an
emoji sequence, a flag, a conjunct, a letter with its marks); if the last break would throw
away more than a quarter of what fits, the cut goes through the word. Trailing separators and
dots before the "…" are dropped.
"""

from __future__ import annotations

import regex

from bot.formatting.limits import utf16_len

ELLIPSIS = "…"
_ZWJ = "\u200d"
_CLUSTER = regex.compile(r"\X")


def shorten(text: str, limit: int) -> str:
    """`text` within `limit` UTF-16 units, cut at a word (or CJK character) and ending in "…"."""
    if utf16_len(text) <= limit:
        return text
    if limit < 1:
        return ""
    bounds = _cluster_bounds(text, limit - 1)
    cut = bounds[-1]
    if not _breakable(text, cut):
        cut = _word_start(text, bounds)
    head = text[:cut].rstrip(" ,;:|/([{–—-" + ELLIPSIS).rstrip(".")
    # a joiner the source left dangling would join the ellipsis to the emoji before it
    return head.rstrip(_ZWJ) + ELLIPSIS


def _cluster_bounds(text: str, budget: int) -> list[int]:
    """0 and the end of every grapheme cluster (emoji sequence, flag, conjunct, letter with its
    marks) that fits in `budget` UTF-16 units: the only places a cut may fall. The clusters are
    Unicode's (UAX #29, `regex`'s \\X): its rules for Indic conjuncts and emoji are too many to
    keep by hand."""
    bounds, units = [0], 0
    for cluster in _CLUSTER.finditer(text):
        units += utf16_len(cluster.group())
        if units > budget:
            break
        bounds.append(cluster.end())
    return bounds


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


def _word_start(text: str, bounds: list[int]) -> int:
    """The last break before the cut (the last of `bounds`, which are cluster ends), unless that
    throws away more than a quarter of the text."""
    cut = bounds[-1]
    floor = max(cut * 3 // 4, 0)
    for index in reversed(bounds[:-1]):
        if index <= floor:
            break
        if _breakable(text, index):
            return index
    return cut  # one enormous word (a URL, a pathological title): cut through it
