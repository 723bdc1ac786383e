"""Generated article files shaped like the real ones (/work/shared/corpus): the three eras
(modern with originalUrl/amp URLs/related items, minimal without heat, archive with unquoted URLs
and an image title), 1–6 topics from the real list, 1–10 KB each, a few broken files.

Deterministic for a given seed, and fast: plain string templates, no YAML dumper, so generating
100k files costs a few seconds rather than dominating the benchmark."""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.topic_names import CORPUS_TOPICS

_OUTLETS = (
    ("KSHB Kansas City", "kshb.com"),
    ("InfoQ", "infoq.com"),
    ("ABC News", "go.com"),
    ("techzine", "techzine.eu"),
    ("VentureBeat", "venturebeat.com"),
    ("El País", "elpais.com"),
    ("新浪科技", "sina.com.cn"),
)
_WORDS = [
    "model",
    "learns",
    "reads",
    "agents",
    "robots",
    "vision",
    "language",
    "chips",
    "startup",
    "raises",
    "funding",
    "policy",
    "privacy",
    "police",
    "cloud",
    "research",
    "open",
    "source",
    "benchmark",
    "&amp;",
    "&#8217;s",
    "&hellip;",
    "data",
]
_BASE = datetime(2014, 1, 1, tzinfo=UTC)


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words))


def _secured(rng: random.Random, length: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    return "".join(rng.choice(alphabet) for _ in range(length))


def article_file(n: int, rng: random.Random, *, now: datetime) -> str:
    """The text of generated article number n (its URL is unique to n)."""
    era = rng.random()
    # Letters only: a "#" from an entity would start a URL fragment, which identity drops.
    words = "".join(c for c in _sentence(rng, 4) if c.isalpha() or c == " ")
    slug = f"{words.replace(' ', '-')}-{n}"
    name, domain = rng.choice(_OUTLETS)
    url = f"https://www.{domain}/news/{slug}"
    # Most of the archive is old; a small recent slice is what a run selects from.
    if rng.random() < 0.01:
        when = now - timedelta(minutes=rng.randrange(0, 48 * 60))
    else:
        when = _BASE + timedelta(minutes=rng.randrange(0, 10 * 365 * 24 * 60))
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    heat = rng.choice((-1, rng.randrange(0, 70), rng.randrange(70, 285)))
    topics = "".join(f"  - {t}\n" for t in rng.sample(CORPUS_TOPICS, rng.randint(1, 6)))
    title = _sentence(rng, rng.randint(5, 12)).capitalize()
    excerpt = _sentence(rng, rng.randint(20, 60))
    image = f"https://cdn.{domain}/img/{n}.jpg"
    if era < 0.2:  # archive: unquoted URLs, no originalUrl, an image title
        return (
            f'---\ncategory: news\ntitle: "{title}"\nexcerpt: "{excerpt}"\n'
            f"publishedDateTime: {stamp}\nwebUrl: {url}\ntype: article\n"
            f"quality: {max(heat, 4)}\nheat: {heat}\npublished: {str(heat >= 70).lower()}\n\n"
            f"provider:\n  name: {name}\n  domain: {domain}\n\ntopics:\n{topics}\n"
            f"images:\n  - url: {image}\n    width: 1200\n    height: 630\n"
            f'    title: "{title}"\n\nsecured: "{_secured(rng, 300)}"\n---\n\n'
        )
    if era < 0.35:  # minimal: no quality, heat or published
        return (
            f'---\ncategory: news\ntitle: "{title}"\nexcerpt: "{excerpt}"\n'
            f'publishedDateTime: {stamp}\nwebUrl: "{url}"\ntype: article\n\n'
            f"provider:\n  name: {name}\n  domain: {domain}\n\ntopics:\n{topics}---\n"
        )
    related = (
        "".join(
            f'  - title: "{_sentence(rng, 6)}"\n    excerpt: "{_sentence(rng, 30)}"\n'
            f'    publishedDateTime: {stamp}\n    webUrl: "{url}/related-{r}"\n'
            f"    provider:\n      name: {name}\n      domain: {domain}\n    quality: 0\n"
            for r in range(rng.randint(0, 4))
        )
        or "  []\n"
    )
    return (
        f'---\ncategory: news\ntitle: "{title}"\nexcerpt: "{excerpt}"\n'
        f"publishedDateTime: {stamp}\n"
        f'originalUrl: "{url}?utm_source=feed"\nwebUrl: "{url}"\n'
        f'ampWebUrl: "{url}/amp"\ncdnAmpWebUrl: "https://cdn.ampproject.org/c/s/{slug}"\n'
        f"type: article\nquality: {max(heat, 4)}\nheat: {heat}\n"
        f"published: {str(heat >= 70).lower()}\n\n"
        f"provider:\n  name: {name}\n  domain: {domain}\n  images:\n"
        f'    - url: "https://{domain}/logo.png"\n      width: 50\n      height: 50\n\n'
        f"topics:\n{topics}\nimages:\n"
        f'  - url: "{image}"\n    width: 1200\n    height: 630\n    isCached: true\n\n'
        f'related:\n{related}\nsecured: "{_secured(rng, 400)}"\n---\n\n'
    )


def write_articles(
    folder: Path, count: int, *, seed: int = 6, now: datetime | None = None, broken: int = 10
) -> None:
    """`count` files in per-day folders (like `_news/`), `broken` of them unreadable junk."""
    rng = random.Random(seed)
    moment = now or datetime.now(UTC)
    per_folder = 1000
    for n in range(count):
        sub = folder / f"{n // per_folder:04d}"
        if n % per_folder == 0:
            sub.mkdir(parents=True, exist_ok=True)
        if n < broken:
            text = "---\ntitle: [unclosed\n---\n" if n % 2 else "not an article at all\n"
        else:
            text = article_file(n, rng, now=moment)
        path = sub / f"{n:07d}.md"
        path.write_text(text, encoding="utf-8")
    os.sync()
