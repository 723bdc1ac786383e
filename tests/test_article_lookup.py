"""Which stored article an admin means by a link (jobs.article_lookup), on both databases: the
stored identity, else the link a post shows, which lacks site-specific tracking parameters."""

from __future__ import annotations

from datetime import UTC, datetime

from jobs.article_lookup import article_by_link
from jobs.ingest.urls import normalise_url
from storage.records import ArticleData
from tests.conftest import Db

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


async def _store(db: Db, link: str) -> int:
    url = normalise_url(link)
    assert url is not None
    async with db.uow() as tx:
        return await tx.articles.add_article(
            ArticleData(url=url, link=link, title="T", heat=150, published_at=NOW),
            source_path="/x.md",
            source_mtime_ns=1,
            now=NOW,
        )


async def _found(db: Db, link: str) -> int | None:
    async with db.uow() as tx:
        article = await article_by_link(tx, link)
    return article.id if article else None


async def test_the_link_a_post_shows_finds_its_article(db: Db) -> None:
    msn = await _store(db, "https://www.msn.com/en-us/news/robots_fold?ocid=msedgntp&id=7")
    nyt = await _store(db, "https://www.nytimes.com/2026/robots.html?smid=url-share")
    assert await _found(db, "https://www.msn.com/en-us/news/robots_fold?id=7") == msn
    assert await _found(db, "https://www.msn.com/en-us/news/robots_fold?ocid=msedgntp&id=7") == msn
    assert await _found(db, "https://www.nytimes.com/2026/robots.html") == nyt
    assert await _found(db, "https://WWW.NYTIMES.COM/2026/robots.html/") == nyt


async def test_a_link_that_differs_otherwise_finds_nothing(db: Db) -> None:
    await _store(db, "https://www.msn.com/en-us/news/robots_fold?ocid=msedgntp&id=7")
    assert await _found(db, "https://www.msn.com/en-us/news/robots_fold?id=8") is None
    assert await _found(db, "https://www.msn.com/en-us/news/robots_fold") is None
    assert (
        await _found(db, "https://www.msn.com/en-us/news/robotsXfold?id=7") is None
    )  # "_" no wildcard
    assert (
        await _found(db, "https://www.msn.com/en-us/news/ROBOTS_FOLD?id=7") is None
    )  # path's case
    assert await _found(db, "not a link") is None
