"""How a digest looks: one message listing a period's stories.

Rule: a header line (the caller's words: which digest, which period), then one line per story,
hottest first: a number, the title linked to the article, the source and the heat as in a
post's footer; then "… and N more" (the caller's words) for the stories past those listed.
Titles and sources are cleaned and capped as in a post (a digest title at DIGEST_TITLE_CAP, so
ten lines always fit); should the message still be over Telegram's 4096 units, the last lines
give way to the count.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.formatting.cleaning import clean_text
from bot.formatting.limits import TEXT_LIMIT, visible_length
from bot.formatting.links import link_host, source_label
from bot.formatting.post import META_SEPARATOR, SOURCE_CAP, heat_text
from bot.formatting.shortening import shorten
from jobs.ingest.urls import clean_link
from storage.records import Article

DIGEST_TITLE_CAP = 200


@dataclass(frozen=True, slots=True)
class DigestLine:
    """One story's line without its number: HTML, and its visible length."""

    html: str
    length: int


def digest_line(article: Article, untitled: str = "Article") -> DigestLine:
    """The line of an article (a slot lists the same stories to many chats: callers keep
    these)."""
    link = clean_link(article.link)
    title = shorten(clean_text(article.title or "") or untitled, DIGEST_TITLE_CAP)
    label = source_label(article.source_name, article.source_domain, article.link)
    source = shorten(clean_text(label or link_host(link) or ""), SOURCE_CAP)
    heat = heat_text(article.heat)
    shown = f'<a href="{_attribute(link)}">{_escape(title)}</a>' if link else _escape(title)
    meta = META_SEPARATOR.join(part for part in (_escape(source), heat) if part)
    text = shown + (f" — {meta}" if meta else "")
    return DigestLine(text, visible_length(text))


def render_digest(
    header: str,
    lines: Sequence[DigestLine],
    more: int,
    more_line: Callable[[int], str],
    limit: int = TEXT_LIMIT,
) -> str:
    """Telegram HTML: `header` (HTML), the lines numbered, `more_line(n)` (HTML) for the n
    stories past them."""
    numbered = [(f"{n}. ", line) for n, line in enumerate(lines, 1)]
    fixed = visible_length(header)
    while True:
        tail = [more_line(more)] if more else []
        length = fixed + sum(len(mark) + line.length + 1 for mark, line in numbered)
        length += sum(visible_length(t) + 1 for t in tail)
        if length <= limit or not numbered:
            body = [mark + line.html for mark, line in numbered]
            return "\n".join([header, *body, *tail])
        numbered.pop()
        more += 1


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _attribute(text: str) -> str:
    return _escape(text).replace('"', "&quot;")
