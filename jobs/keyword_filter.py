"""Keyword filters (/filter): which posts a subscriber keeps. Pure.

Rule: a filter is a set of plain terms, each "+term" (keep only posts mentioning at least one +
term) or "-term" (drop posts mentioning any - term); no + term means every post passes that
test. A term is a word or a phrase of words, matched case-insensitively (casefold) as whole
words against the article's title and excerpt.

"Whole words" is decided on word tokens, not with a regular expression's \\b: a text becomes a
sequence of tokens where a token is a run of letters, digits or marks (so "café", "naïve" and
"GPT4" are one token each) and every CJK ideograph, kana or hangul syllable is a token of its
own, since those scripts write no spaces between words. A term matches when its tokens occur
consecutively in the text's tokens: "ai" matches "AI, now" but not "said"; "机器学习" matches
"我们的机器学习模型" (its four ideographs in a row). Users never give a pattern, so there is
nothing to backtrack on (no ReDoS).
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

MAX_TERMS = 50  # a chat's filter holds at most this many terms
MAX_TERM_CHARS = 100


def _is_ideographic(ch: str) -> bool:
    code = ord(ch)
    return (
        0x3040 <= code <= 0x30FF  # hiragana, katakana
        or 0x3400 <= code <= 0x4DBF  # CJK extension A
        or 0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
        or 0xAC00 <= code <= 0xD7AF  # hangul syllables
        or 0xF900 <= code <= 0xFAFF  # CJK compatibility ideographs
        or 0x20000 <= code <= 0x3FFFF  # CJK extensions B and later
    )


def tokens(text: str) -> tuple[str, ...]:
    """The text's word tokens, casefolded (see the module's rule)."""
    found: list[str] = []
    word: list[str] = []
    for ch in unicodedata.normalize("NFKC", text).casefold():
        if _is_ideographic(ch):
            if word:
                found.append("".join(word))
                word = []
            found.append(ch)
        elif unicodedata.category(ch)[0] in "LNM":
            word.append(ch)
        elif word:
            found.append("".join(word))
            word = []
    if word:
        found.append("".join(word))
    return tuple(found)


@dataclass(frozen=True, slots=True)
class KeywordFilter:
    keep: tuple[tuple[str, ...], ...]  # token sequences of the + terms
    drop: tuple[tuple[str, ...], ...]  # of the - terms

    def passes(self, text: str) -> bool:
        words = tokens(text)
        if any(_contains(words, term) for term in self.drop):
            return False
        return not self.keep or any(_contains(words, term) for term in self.keep)


def compile_filter(terms: Sequence[str]) -> KeywordFilter:
    """Stored terms ("+word", "-a phrase") to a filter; a term without words is ignored."""
    keep: list[tuple[str, ...]] = []
    drop: list[tuple[str, ...]] = []
    for term in terms:
        words = tokens(term[1:])
        if words:
            (keep if term.startswith("+") else drop).append(words)
    return KeywordFilter(tuple(keep), tuple(drop))


def _contains(words: tuple[str, ...], term: tuple[str, ...]) -> bool:
    size = len(term)
    first = term[0]
    for start, word in enumerate(words):
        if word == first and words[start : start + size] == term:
            return True
    return False


class FilterMistake(enum.Enum):
    """What was wrong with the terms: the handler says it in the chat's language."""

    NO_SIGN = "each term starts with + or -"
    OPEN_QUOTE = "a quoted phrase needs its closing quote"
    NO_LETTER = "a term needs at least one letter or digit"
    TOO_LONG = f"a term has at most {MAX_TERM_CHARS} characters"


class FilterSyntaxError(ValueError):
    """What /filter could not read: `mistake` says which rule the terms broke."""

    def __init__(self, mistake: FilterMistake) -> None:
        super().__init__(mistake.value)
        self.mistake = mistake


def parse_terms(text: str) -> list[str]:
    """'+ai -"large language model" +robots' -> ["+ai", '-large language model', "+robots"].

    Each term starts with + or -; a phrase is in double quotes (straight or curly)."""
    found: list[str] = []
    rest = text.replace("“", '"').replace("”", '"').strip()
    while rest:
        sign, rest = rest[0], rest[1:]
        if sign not in "+-":
            raise FilterSyntaxError(FilterMistake.NO_SIGN)
        if rest.startswith('"'):
            end = rest.find('"', 1)
            if end < 0:
                raise FilterSyntaxError(FilterMistake.OPEN_QUOTE)
            term, rest = rest[1:end], rest[end + 1 :]
        else:
            parts = rest.split(maxsplit=1)
            term = parts[0] if parts else ""
            rest = parts[1] if len(parts) > 1 else ""
        term = " ".join(term.split())
        if not tokens(term):
            raise FilterSyntaxError(FilterMistake.NO_LETTER)
        if len(term) > MAX_TERM_CHARS:
            raise FilterSyntaxError(FilterMistake.TOO_LONG)
        found.append(sign + term.casefold())
        rest = rest.strip()
    return found
