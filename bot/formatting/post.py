"""How a post looks: an article assembled into a caption or message text and its button.

Rule: a post is the title (bold, linked to the article), the excerpt, and a footer (source and
heat, then the topics as hashtags), separated by blank lines. The photo form (caption, 1024) is
used when the article has an http(s) image, else the text form (4096) with the large preview of
its link. A video (a link to a video host) is always the text form, so that Telegram plays it in
the preview: its title is marked ▶️ and its button says "▶️ Watch". The link is the article's
address without tracking parameters, and the source label names the linked site (links). Each
part is cleaned (bot.formatting.cleaning) and capped (bot.formatting.shortening) as plain text
and escaped for HTML last. When the parts do not fit, the excerpt gives way first (down to
nothing below 40 units), then the footer, then the title is cut; an excerpt that repeats the
title is dropped. The compact form (a subscriber's /settings) is the text form without the
excerpt and without a photo: title, source and heat, tags. A photo post whose image no longer
qualifies (it became a site's default image) is edited in the caption form: the text form's
parts fitted in a caption.
"""

from __future__ import annotations

import enum
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.formatting.also import also_line
from bot.formatting.cleaning import clean_excerpt, clean_text, hashtag
from bot.formatting.limits import CAPTION_LIMIT, TEXT_LIMIT, utf16_len
from bot.formatting.links import is_video_link, source_label
from bot.formatting.shortening import ELLIPSIS, shorten
from jobs.ingest.urls import clean_link
from storage.records import Article

# One cap for both forms so a post looks the same whether it went out as a photo or fell back
# to text. 600 units is four to six lines on a phone: enough for the lede, short enough that the
# title and the Read button stay on screen, and it leaves the photo form (1024) room for a long
# title and the footer without squeezing the excerpt further in normal cases.
EXCERPT_CAP = 600
# Corpus titles stay under 150 characters; the caps below only bite on broken data, and they
# keep title + footer well inside a caption, so the excerpt is the part that gives way.
TITLE_CAP = 300
SOURCE_CAP = 64
TAGS_CAP = 200
# Below this an excerpt would be a stub of a few words, which reads worse than none.
_MIN_EXCERPT = 40
# Enough raw text to fill EXCERPT_CAP many times over even when it is mostly entities and
# whitespace; scanning a megabyte excerpt in full would only be thrown away.
_RAW_SCAN = 16 * EXCERPT_CAP

_HEAT_MARK = "🔥"
VIDEO_MARK = "▶️"
READ_BUTTON = "Read"
WATCH_BUTTON = f"{VIDEO_MARK} Watch"
_RISING_MARK = "📈"  # selected as a rising story (jobs.selection)
META_SEPARATOR = " · "  # between the source and the heat


class PostForm(enum.Enum):
    BEST = "best"  # the photo form when the article has a usable image and is no video, else text
    TEXT = "text"  # the text form; also the fallback when Telegram refuses the photo
    CAPTION = "caption"  # a photo post's caption, whatever the image is now (for its edits)


@dataclass(frozen=True, slots=True)
class PostWords:
    """The words a post carries, in the language of the chat it goes to (bot.sender fills them
    from the catalogues; these defaults are the English ones)."""

    read: str = READ_BUTTON  # the button
    watch: str = "Watch"  # a video's button, after VIDEO_MARK
    also: str = "Also"  # before the other outlets telling the same story
    untitled: str = "Article"  # the title of an article that has none, nor a source


ENGLISH = PostWords()


@dataclass(frozen=True, slots=True)
class Post:
    html: str  # Telegram HTML: the photo caption, or the message text
    photo_url: str | None  # set: send as photo with caption; None: text with a large link preview
    link: str  # the article address (tracking parameters dropped): the title and the button
    button_text: str = READ_BUTTON
    # The text form's large link preview (None in the photo form): the article, or the video
    # Telegram plays inline.
    preview_url: str | None = None
    caption: bool = False  # `html` is a photo's caption (edited with editMessageCaption)


def render_post(
    article: Article,
    also: Sequence[Article] = (),
    words: PostWords = ENGLISH,
    *,
    compact: bool = False,
    form: PostForm = PostForm.BEST,
) -> Post:
    """The article's post in `form`. `also`: the story's other articles, named on an "Also:"
    line (bot.formatting.also); `words`: the post's words in the language of the chat it goes
    to; `compact`: always the text form, without the excerpt."""
    if form is PostForm.CAPTION:
        return _render(article, None, CAPTION_LIMIT, also, words, compact=compact, caption=True)
    photo_url = _usable_image(article.image_url)
    if form is PostForm.TEXT or compact or photo_url is None or is_video_link(article.link):
        return _render(article, None, TEXT_LIMIT, also, words, compact=compact)
    return _render(article, photo_url, CAPTION_LIMIT, also, words, caption=True)


def _usable_image(url: str | None) -> str | None:
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced "[" where an IPv6 host would be
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def _excerpt_text(article: Article, title: str) -> str:
    raw = article.excerpt or ""
    sliced = len(raw) > _RAW_SCAN
    if sliced:
        raw = raw[:_RAW_SCAN]
        # the slice may end inside a word or an entity; neither must reach the reader
        raw = re.sub(r"&#?[0-9A-Za-z]{0,32}$", "", raw)
        space = raw.rfind(" ")
        raw = raw[:space] if space > _RAW_SCAN // 2 else raw
    text = clean_excerpt(raw)
    if _same_words(text, title):
        return ""
    if sliced and text and not text.endswith(ELLIPSIS):
        text += ELLIPSIS
    return shorten(text, EXCERPT_CAP)


def _same_words(excerpt: str, title: str) -> bool:
    # Some feeds repeat the title as the excerpt; showing it twice only adds noise.
    def normalise(text: str) -> str:
        return text.casefold().rstrip(" .!?…")

    return bool(excerpt) and normalise(excerpt) == normalise(title)


def post_title(article: Article, untitled: str = ENGLISH.untitled) -> str:
    """The title as the article's post shows it (cleaned, capped), which is how the bot's
    answers name the article too."""
    title = clean_text(article.title or "")
    if not title:
        # never an empty post, never an empty link text
        fallback = article.source_name or article.source_domain or _host(article.link)
        title = clean_text(fallback or "") or untitled
    return shorten(title, TITLE_CAP)


def _host(url: str) -> str | None:
    try:
        return urlsplit(url.strip()).hostname
    except ValueError:
        return None


def heat_text(heat: int | None) -> str:
    """The heat as the footer shows it ("🔥 142"); nothing without one, nor for the -1 that
    marks an unpublished item in the source: not a temperature worth showing."""
    return f"{_HEAT_MARK} {heat}" if heat is not None and heat >= 0 else ""


def _meta_line(article: Article) -> str:
    label = source_label(article.source_name, article.source_domain, article.link)
    source = shorten(clean_text(label), SOURCE_CAP)
    heat = heat_text(article.heat)
    if article.rising:
        heat = f"{heat} {_RISING_MARK}".strip()
    return META_SEPARATOR.join(part for part in (source, heat) if part)


def _tags_line(topics: tuple[str, ...]) -> str:
    tags: list[str] = []
    seen: set[str] = set()
    length = 0
    for topic in topics:
        tag = hashtag(topic)
        if tag is None or tag.casefold() in seen:  # Telegram hashtags ignore case
            continue
        added = utf16_len(tag) + (1 if tags else 0)
        if length + added > TAGS_CAP:
            break
        seen.add(tag.casefold())
        tags.append(tag)
        length += added
    return " ".join(tags)


def _render(
    article: Article,
    photo_url: str | None,
    limit: int,
    also: Sequence[Article],
    words: PostWords,
    *,
    compact: bool = False,
    caption: bool = False,
) -> Post:
    link = clean_link(article.link)
    video = is_video_link(link)
    mark = f"{VIDEO_MARK} " if video else ""
    title = post_title(article, words.untitled)
    footer = "\n".join(line for line in (_meta_line(article), _tags_line(article.topics)) if line)

    # Only broken data gets here (the caps keep title + footer far below either limit), but the
    # post must still go out, so give up the footer before the title.
    if utf16_len(mark + title) + (2 + utf16_len(footer) if footer else 0) > limit:
        footer = ""
        title = shorten(title, limit - utf16_len(mark))

    fixed = utf16_len(mark + title) + (2 + utf16_len(footer) if footer else 0)
    # the story's other outlets come before the excerpt's room is measured: it gives way first
    others = also_line(also, limit - fixed - 2, words.also, lead=article)
    fixed += 2 + others.length if others.html else 0
    excerpt = "" if compact else _excerpt_text(article, title)
    room = limit - fixed - 2
    if excerpt and utf16_len(excerpt) > room:
        excerpt = shorten(excerpt, room) if room >= _MIN_EXCERPT else ""

    # a link to nothing would make Telegram use the title itself as the address
    title_html = mark + (
        f'<b><a href="{_escape_attribute(link)}">{_escape(title)}</a></b>'
        if link
        else f"<b>{_escape(title)}</b>"
    )
    blocks = [title_html, _escape(excerpt), others.html, _escape(footer)]
    text = "\n\n".join(block for block in blocks if block)
    return Post(
        html=text,
        photo_url=photo_url,
        link=link,
        button_text=f"{VIDEO_MARK} {words.watch}" if video else words.read,
        preview_url=None if caption else link or None,
        caption=caption,
    )


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _escape_attribute(text: str) -> str:
    # only the entities Telegram knows: html.escape(quote=True) would emit &#x27; as well
    return _escape(text).replace('"', "&quot;")
