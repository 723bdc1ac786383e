"""Article files built in a test from front-matter lines, the reason one is refused, and the
folder of hand-written article fixtures: the helpers of the article-file tests (urls, fields,
front matter, files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs.ingest.fields import UnusableArticleError
from jobs.ingest.files import parse_article
from storage.records import ArticleData

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "articles"
BASE = 'title: "Robots learn to fold laundry"\nwebUrl: "https://example.com/news/laundry"\n'


def article(body: str = "", *, base: str = BASE) -> ArticleData:
    return parse_article(f"---\n{base}{body}\n---\n".encode())


def failure(data: bytes) -> str:
    with pytest.raises(UnusableArticleError) as caught:
        parse_article(data)
    return caught.value.reason
