"""The "Also:" line of a story's post: the other outlets that told the story, each name linked
to its article.

Rule: "Also: " (the word in the post's language) then the outlets' names (the source's name,
else its domain, else the link's host; cleaned, at most LABEL_CAP units each), in the order
given, comma separated, each once and none that is the post's own outlet (`lead`: a wire
re-sending its release is not another outlet); articles without an http(s) link are left
out; each name links to its article without tracking parameters, as the post's title does. The line
takes at most `room` visible units (ALSO_CAP at most): names that do not fit are counted as
"+N" when that fits; when not even one name fits, there is no line.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.formatting.cleaning import clean_text
from bot.formatting.limits import utf16_len
from bot.formatting.shortening import shorten
from jobs.ingest.urls import clean_link
from storage.records import Article

LABEL_CAP = 40
# A few outlets' names: the line must not crowd out the excerpt, which is what a reader reads.
ALSO_CAP = 200
_SEPARATOR = ", "


@dataclass(frozen=True, slots=True)
class AlsoLine:
    html: str  # "" when there is no line
    length: int  # visible length in UTF-16 units, as Telegram counts it


NO_LINE = AlsoLine("", 0)


def also_line(
    others: Sequence[Article], room: int, word: str = "Also", *, lead: Article | None = None
) -> AlsoLine:
    outlets = _outlets(others, lead)
    if not outlets:
        return NO_LINE
    room = min(room, ALSO_CAP)
    prefix = f"{html.escape(word, quote=False)}: "
    parts: list[str] = []
    length = utf16_len(f"{word}: ")
    for index, (label, link) in enumerate(outlets):
        added = utf16_len(label) + (utf16_len(_SEPARATOR) if parts else 0)
        left = len(outlets) - index - 1
        # keep room for the "+N" of the ones after, unless this is the last one
        tail = utf16_len(f" +{left}") if left else 0
        if length + added + tail > room:
            rest = len(outlets) - index
            more = f" +{rest}"
            if not parts or length + utf16_len(more) > room:
                return AlsoLine(prefix + _SEPARATOR.join(parts), length) if parts else NO_LINE
            return AlsoLine(prefix + _SEPARATOR.join(parts) + more, length + utf16_len(more))
        parts.append(f'<a href="{_attribute(link)}">{html.escape(label, quote=False)}</a>')
        length += added
    return AlsoLine(prefix + _SEPARATOR.join(parts), length)


def _outlets(others: Sequence[Article], lead: Article | None) -> list[tuple[str, str]]:
    own = _label(lead, _http_host(lead.link.strip()) or "") if lead is not None else ""
    seen: set[str] = {own.casefold()} if own else set()
    found: list[tuple[str, str]] = []
    for article in others:
        link = clean_link(article.link)
        host = _http_host(link)
        if host is None:
            continue
        label = _label(article, host)
        if not label or label.casefold() in seen:
            continue
        seen.add(label.casefold())
        found.append((label, link))
    return found


def _label(article: Article, host: str) -> str:
    return shorten(clean_text(article.source_name or article.source_domain or host), LABEL_CAP)


def _http_host(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return parts.hostname


def _attribute(text: str) -> str:
    # only the entities Telegram knows: html.escape(quote=True) would emit &#x27; as well
    return html.escape(text, quote=False).replace('"', "&quot;")
