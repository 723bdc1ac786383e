"""How a post looks: an article rendered as Telegram HTML, within Telegram's length limits.

Pure: no I/O and no python-telegram-bot. Every piece of text is cleaned as plain text first, cut
to size as plain text, and escaped for HTML last, so a cut can never land inside a tag or an
entity, and what `visible_length` counts is exactly the plain text that went in.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from storage.records import Article

CAPTION_LIMIT = 1024  # Telegram counts both in UTF-16 code units, after entity parsing
TEXT_LIMIT = 4096

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

_ELLIPSIS = "…"
_HEAT_MARK = "🔥"
_META_SEPARATOR = " · "
_ZWJ = "\u200d"


@dataclass(frozen=True, slots=True)
class Post:
    html: str  # Telegram HTML: the photo caption, or the message text
    photo_url: str | None  # set: send as photo with caption; None: text with a large link preview
    link: str  # the article address: the "Read" button and the preview URL
    button_text: str = "Read"


def render_post(article: Article) -> Post:
    """The photo form when the article has a usable image, else the text form."""
    photo_url = _usable_image(article.image_url)
    if photo_url is None:
        return render_text_post(article)
    return _render(article, photo_url, CAPTION_LIMIT)


def render_text_post(article: Article) -> Post:
    """The text form, also the fallback when Telegram refuses to fetch the photo."""
    return _render(article, None, TEXT_LIMIT)


def utf16_len(text: str) -> int:
    # surrogatepass: a stray lone surrogate is still one unit, not an exception
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


_TAG = re.compile(r"<[^<>]*>")
_TELEGRAM_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def visible_length(html_text: str) -> int:
    """The length Telegram checks against its limits: tags removed, entities decoded, UTF-16."""
    return utf16_len(_TELEGRAM_ENTITY.sub(_decode_entity, _TAG.sub("", html_text)))


def _decode_entity(match: re.Match[str]) -> str:
    name, decimal, hexadecimal = match.groups()
    if name:
        return _NAMED[name]
    code = int(decimal) if decimal else int(hexadecimal, 16)
    return chr(code) if code <= 0x10FFFF else "\ufffd"


# --- cleaning ---------------------------------------------------------------------------------

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
_CLOSING = (".", "!", "?", _ELLIPSIS, '"', "”", "’", "'", ")", "]", "»", "。", "！", "？")
_DANGLING = (",", ";", ":", "–", "—", "-", "，", "、")


def clean_excerpt(raw: str) -> str:
    """Plain text: entities unescaped once, source artefacts and runs of whitespace removed."""
    text = _LITERAL_ESCAPE.sub(_literal_escape, raw)
    text = _MARKUP_TAG.sub(_markup_tag, text)
    text = _clean_text(text)
    if (lead := _LEAD_ARTEFACT.match(text)) is not None:
        text = text[lead.end() :]
    text = _REPEATED_ELLIPSIS.sub(_ELLIPSIS, _ELIDED.sub(_ELLIPSIS, text))
    head, tail = text[:-_TAIL_WINDOW], text[-_TAIL_WINDOW:]
    stripped = None
    while stripped != tail:
        stripped = tail
        for pattern in _TAIL_ARTEFACTS:
            tail = pattern.sub("", tail)
    text = (head + tail).strip()
    if text.endswith((_ELLIPSIS, "...")):
        # the source's own truncation mark, in one character and attached to the last word
        text = text.rstrip(" ." + _ELLIPSIS) + _ELLIPSIS
    if text.casefold() in _PLACEHOLDERS:
        return ""
    if len(raw) >= _SOURCE_CUT_LENGTH and text and not text.endswith(_CLOSING):
        text = _mark_source_cut(text, mid_word=not raw[-1].isspace())
    elif text.endswith(_DANGLING):  # cut after a clause, at whatever length
        text = _mark_source_cut(text, mid_word=False)
    return text


def _mark_source_cut(text: str, *, mid_word: bool) -> str:
    if mid_word and not _is_cjk(text[-1]):
        space = text.rfind(" ")
        if space > len(text) // 2:
            text = text[:space]
    return text.rstrip(" ,;:|/([{–—-，、") + _ELLIPSIS


def _literal_escape(match: re.Match[str]) -> str:
    char = match.group(1)
    return " " if char in "nrt" else char


def _markup_tag(match: re.Match[str]) -> str:
    # block tags separate words; inline tags sit inside them
    return " " if match.group(1) else ""


def _clean_text(text: str) -> str:
    """Shared by titles, excerpts and source names: decode, drop what cannot be sent, squeeze."""
    text = _ENTITY.sub(lambda m: html.unescape(m.group()), text)
    text = _repair_mojibake(text)
    text = text.translate(_INVISIBLE)
    text = _CONTROL.sub(" ", _UNSENDABLE.sub("", text))
    return _WHITESPACE.sub(" ", text).strip()


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
    text = _clean_text(topic).replace("'", "").replace("’", "")
    # letters, digits and combining marks (Devanagari vowel signs are marks) make up a tag
    spaced = "".join(ch if unicodedata.category(ch)[0] in "LNM" else " " for ch in text)
    tag = "".join(word[:1].upper() + word[1:] for word in spaced.split())
    # Telegram links a hashtag only with at least one letter and up to 256 units
    if not any(ch.isalpha() for ch in tag) or utf16_len(tag) > 255:
        return None
    return "#" + tag


# --- shortening -------------------------------------------------------------------------------


def _shorten(text: str, limit: int) -> str:
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
    head = text[:cut].rstrip(" ,;:|/([{–—-" + _ELLIPSIS).rstrip(".")
    head = head[: _cluster_start(head, len(head))] if head.endswith(_ZWJ) else head
    return head + _ELLIPSIS


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


def _is_cjk(char: str) -> bool:
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
    return before.isspace() or after.isspace() or _is_cjk(before) or _is_cjk(after)


def _word_start(text: str, cut: int) -> int:
    """The last break before `cut`, unless that throws away more than a quarter of the text."""
    floor = cut * 3 // 4
    for index in range(cut - 1, max(floor, 0), -1):
        if _breakable(text, index):
            return index
    return cut  # one enormous word (a URL, a pathological title): cut through it


# --- assembling ------------------------------------------------------------------------------


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
    if sliced and text and not text.endswith(_ELLIPSIS):
        text += _ELLIPSIS
    return _shorten(text, EXCERPT_CAP)


def _same_words(excerpt: str, title: str) -> bool:
    # Some feeds repeat the title as the excerpt; showing it twice only adds noise.
    def normalise(text: str) -> str:
        return text.casefold().rstrip(" .!?…")

    return bool(excerpt) and normalise(excerpt) == normalise(title)


def _title_text(article: Article) -> str:
    title = _clean_text(article.title or "")
    if not title:
        # never an empty post, never an empty link text
        fallback = article.source_name or article.source_domain or _host(article.link)
        title = _clean_text(fallback or "") or "Article"
    return _shorten(title, TITLE_CAP)


def _host(url: str) -> str | None:
    try:
        return urlsplit(url.strip()).hostname
    except ValueError:
        return None


def _meta_line(article: Article) -> str:
    source = _shorten(_clean_text(article.source_name or article.source_domain or ""), SOURCE_CAP)
    # -1 marks an unpublished item in the source: not a temperature worth showing
    heat = f"{_HEAT_MARK} {article.heat}" if article.heat is not None and article.heat >= 0 else ""
    return _META_SEPARATOR.join(part for part in (source, heat) if part)


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


def _render(article: Article, photo_url: str | None, limit: int) -> Post:
    link = article.link.strip()
    title = _title_text(article)
    footer = "\n".join(line for line in (_meta_line(article), _tags_line(article.topics)) if line)

    # Only broken data gets here (the caps keep title + footer far below either limit), but the
    # post must still go out, so give up the footer before the title.
    if utf16_len(title) + (2 + utf16_len(footer) if footer else 0) > limit:
        footer = ""
        title = _shorten(title, limit)

    fixed = utf16_len(title) + (2 + utf16_len(footer) if footer else 0)
    excerpt = _excerpt_text(article, title)
    room = limit - fixed - 2
    if excerpt and utf16_len(excerpt) > room:
        excerpt = _shorten(excerpt, room) if room >= _MIN_EXCERPT else ""

    # a link to nothing would make Telegram use the title itself as the address
    title_html = (
        f'<b><a href="{_escape_attribute(link)}">{_escape(title)}</a></b>'
        if link
        else f"<b>{_escape(title)}</b>"
    )
    blocks = [title_html, _escape(excerpt), _escape(footer)]
    text = "\n\n".join(block for block in blocks if block)
    return Post(html=text, photo_url=photo_url, link=link)


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _escape_attribute(text: str) -> str:
    # only the entities Telegram knows: html.escape(quote=True) would emit &#x27; as well
    return _escape(text).replace('"', "&quot;")
