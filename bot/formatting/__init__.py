"""Telegram HTML for what the bot shows. Pure: no I/O and no python-telegram-bot.

Every piece of text is cleaned as plain text first (cleaning), cut to size as plain text
(shortening, measured as Telegram measures: limits), and escaped for HTML last (post), so a cut
can never land inside a tag or an entity, and what `visible_length` counts is exactly the plain
text that went in.
"""

from bot.formatting.cleaning import clean_excerpt, clean_text, hashtag, strip_bidi_controls
from bot.formatting.limits import CAPTION_LIMIT, TEXT_LIMIT, utf16_len, visible_length
from bot.formatting.links import is_video_link, source_label
from bot.formatting.post import (
    ENGLISH,
    EXCERPT_CAP,
    SOURCE_CAP,
    TAGS_CAP,
    TITLE_CAP,
    VIDEO_MARK,
    WATCH_BUTTON,
    Post,
    PostForm,
    PostWords,
    post_title,
    render_post,
)
from bot.formatting.shortening import shorten
from jobs.ingest.urls import clean_link

__all__ = [
    "CAPTION_LIMIT",
    "ENGLISH",
    "EXCERPT_CAP",
    "SOURCE_CAP",
    "TAGS_CAP",
    "TEXT_LIMIT",
    "TITLE_CAP",
    "VIDEO_MARK",
    "WATCH_BUTTON",
    "Post",
    "PostForm",
    "PostWords",
    "clean_excerpt",
    "clean_link",
    "clean_text",
    "hashtag",
    "is_video_link",
    "post_title",
    "render_post",
    "shorten",
    "source_label",
    "strip_bidi_controls",
    "utf16_len",
    "visible_length",
]
