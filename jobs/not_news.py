"""Not news: articles whose title or excerpt carries a phrase that marks a paywall teaser or
the like ("Become an FT subscriber to read:"). Pure.

Phrases are plain text, never regular expressions (an operator's typo must not be a pattern
that matches everything or takes seconds): matched case-insensitively (Unicode case folding),
as whole words (a phrase never matches inside a longer word, in any script), with any run of
whitespace between its words."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from storage.records import Article

# The teasers seen in the real feeds; `publish.exclude` adds to them.
DEFAULT_PHRASES: tuple[str, ...] = (
    "Become an FT subscriber",
    "Keep abreast of significant corporate, financial and political developments",
    "Subscribe to read",
    "Subscribe to continue reading",
    "Subscribe to unlock this article",
    "This article is for subscribers only",
    "This content is for subscribers only",
    "Sign in to read the full article",
    "Log in to continue reading",
    "Register to continue reading",
)


def _pattern(phrase: str) -> str:
    words = phrase.casefold().split()
    # (?<!\w) / (?!\w) rather than \b: a phrase may begin or end with punctuation ("to read:").
    return r"(?<!\w)" + r"\s+".join(re.escape(word) for word in words) + r"(?!\w)"


@dataclass(frozen=True, slots=True)
class NotNews:
    """The compiled phrase list; `phrase_in` says which phrase an article carries."""

    phrases: tuple[str, ...]
    _regex: re.Pattern[str] | None

    @classmethod
    def of(cls, extra: Iterable[str] = (), *, defaults: bool = True) -> NotNews:
        listed = [*(DEFAULT_PHRASES if defaults else ()), *extra]
        phrases = tuple(dict.fromkeys(p.strip() for p in listed if p.strip()))
        if not phrases:
            return cls((), None)
        return cls(phrases, re.compile("|".join(f"({_pattern(p)})" for p in phrases)))

    def phrase_in(self, article: Article) -> str | None:
        """The listed phrase the article's title or excerpt carries, or None."""
        if self._regex is None:
            return None
        for text in (article.title, article.excerpt):
            found = self._regex.search(text.casefold()) if text else None
            if found is not None and found.lastindex is not None:
                return self.phrases[found.lastindex - 1]
        return None


NO_PHRASES = NotNews.of(defaults=False)
