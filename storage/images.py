"""An article's own image, told apart from a site's default one.

Outlets give hundreds of articles one default social image (a blog's "share" banner, a logo);
posted as the article's photo it says nothing and looks the same every time. So an image
address that GENERIC_SHARES or more distinct stored articles share is not an article image:
`article_image` (pure) picks the article's first image that fewer articles share, or none (the
post then goes out as text with the page's own large link preview).

An image whose file name says it is a site's stand-in (`logo`, `default`, `placeholder`,
`fallback` as a word of the name: "mw_logo_social.png", "social-default-image.png") is not an
article image either, however few articles carry it yet: a new outlet's logo is generic from its
first article, before three share it.

Decided from stored data: every preview image of every article is a row of `article_images`
with its normalised address (`image_key`), indexed, and `ImageRepository.share_counts` asks
the index for at most GENERIC_SHARES rows per address, so the question costs the same at a
thousand articles as at a million, however many share the image.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import delete, func, insert, literal, select, union_all

from storage.repository import SessionRepository, in_chunks, table_of
from storage.tables import ArticleImageRow

GENERIC_SHARES = 3  # this many distinct articles with one image: the site's default image
MAX_KEY_CHARS = 2048  # the url_key column
_DEFAULT_PORTS = {"http": ":80", "https": ":443"}
_KEYS_PER_QUERY = 100  # one capped subquery per address, UNION ALL'd

_IMAGES = table_of(ArticleImageRow)

# Words of an image's file name that mark a site's stand-in image; a word is a run of letters, so
# "logo" in "mw_logo_social.png" or "ibm-logo.jpg" counts and "logoff" or "prologue" does not.
STAND_IN_WORDS = frozenset({"logo", "logos", "default", "placeholder", "fallback"})
_WORDS = re.compile(r"[a-z]+")


def image_key(url: str) -> str | None:
    """One spelling per image address: lower-cased scheme and host, no default port, no
    fragment, no trailing slash; None when it is no http(s) address. The query keeps its
    spelling (image CDNs select the picture by it). String operations, not urlsplit: this runs
    for every image of every ingested article, and ingest checked the address already."""
    scheme, separator, rest = url.strip().partition("://")
    scheme = scheme.lower()
    if not separator or scheme not in _DEFAULT_PORTS:
        return None
    rest = rest.partition("#")[0]
    ends = [i for i in (rest.find("/"), rest.find("?")) if i >= 0]
    cut = min(ends) if ends else len(rest)
    host = rest[:cut].lower().removesuffix(_DEFAULT_PORTS[scheme])
    if not host:
        return None
    path, mark, query = rest[cut:].partition("?")
    key = f"{scheme}://{host}{path.rstrip('/') or '/'}{mark}{query}"
    return key[:MAX_KEY_CHARS]


def article_image(images: Sequence[tuple[str, int]]) -> str | None:
    """The image to post: the first of the article's (url, articles sharing it) that fewer than
    GENERIC_SHARES articles share and whose file name is no stand-in's; None when every one is
    generic (or there is none)."""
    for url, shares in images:
        if shares < GENERIC_SHARES and not is_stand_in(url):
            return url
    return None


def is_stand_in(url: str) -> bool:
    """Whether the image's file name (the last path segment, before any query) names a logo or
    a default image."""
    name = url.partition("?")[0].partition("#")[0].rstrip("/").rsplit("/", 1)[-1]
    return not STAND_IN_WORDS.isdisjoint(_WORDS.findall(name.lower()))


def image_rows(article_id: int, urls: Iterable[str]) -> list[dict[str, object]]:
    """The article_images rows of one article: each distinct address once, in source order."""
    rows: list[dict[str, object]] = []
    seen: set[str] = set()
    for url in urls:
        key = image_key(url)
        if key is None or key in seen:
            continue
        seen.add(key)
        rows.append({"article_id": article_id, "position": len(rows), "url": url, "url_key": key})
    return rows


class ImageRepository(SessionRepository):
    async def store(self, images: Mapping[int, Sequence[str]], *, replace: bool) -> None:
        """Write these articles' images (article id -> urls in source order); `replace` drops
        the ones stored before. A few statements for the whole batch."""
        if replace:
            ids = list(images)
            for chunk in in_chunks(ids):
                await self.session.execute(
                    delete(ArticleImageRow).where(ArticleImageRow.article_id.in_(chunk))
                )
        rows = [row for article_id, urls in images.items() for row in image_rows(article_id, urls)]
        if rows:
            await self.session.execute(insert(_IMAGES), rows)

    async def images_of(self, article_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
        """article id -> [(url, key)] in source order."""
        found: dict[int, list[tuple[str, str]]] = {}
        for chunk in in_chunks(list(article_ids)):
            rows = await self.session.execute(
                select(ArticleImageRow.article_id, ArticleImageRow.url, ArticleImageRow.url_key)
                .where(ArticleImageRow.article_id.in_(chunk))
                .order_by(ArticleImageRow.article_id, ArticleImageRow.position)
            )
            for article_id, url, key in rows:
                found.setdefault(article_id, []).append((url, key))
        return found

    async def share_counts(self, keys: Iterable[str]) -> dict[str, int]:
        """How many stored articles have each of these image addresses, counted up to
        GENERIC_SHARES only: each count reads at most that many index entries."""
        distinct = list(dict.fromkeys(keys))
        counts: dict[str, int] = {}
        for chunk in in_chunks(distinct, _KEYS_PER_QUERY):
            parts = []
            for index, key in enumerate(chunk):
                capped = (
                    select(literal(1).label("one"))
                    .where(ArticleImageRow.url_key == key)
                    .limit(GENERIC_SHARES)
                    .subquery(f"k{index}")
                )
                parts.append(
                    select(
                        literal(index).label("i"),
                        select(func.count()).select_from(capped).scalar_subquery().label("n"),
                    )
                )
            stmt = parts[0] if len(parts) == 1 else union_all(*parts)
            for index, shares in await self.session.execute(stmt):
                counts[chunk[index]] = int(shares)
        return counts
