"""Generic images (issue 12 item 1): an image address three or more stored articles share is a
site's default image, not the article's. The decision as a table, the address key, and the
stored counts on real SQLite and PostgreSQL, through the index."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event

from storage.images import GENERIC_SHARES, article_image, image_key
from storage.records import ArticleData, SourcedArticle
from tests.conftest import Db

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
DEFAULT = "https://blog.example.com/images/shared/social/social-share-banner.png"  # by count


@pytest.mark.parametrize(
    ("images", "chosen"),
    [
        ([], None),
        ([("https://a.example/own.jpg", 1)], "https://a.example/own.jpg"),
        ([("https://a.example/own.jpg", 2)], "https://a.example/own.jpg"),
        ([(DEFAULT, 3)], None),  # the site's default image: text with the page's own preview
        ([(DEFAULT, 165)], None),
        ([(DEFAULT, 3), ("https://a.example/own.jpg", 1)], "https://a.example/own.jpg"),
        ([("https://a.example/own.jpg", 1), (DEFAULT, 3)], "https://a.example/own.jpg"),
        ([(DEFAULT, 3), ("https://logo.example/x.png", 40)], None),
        (
            [("https://a.example/1.jpg", 2), ("https://a.example/2.jpg", 1)],
            "https://a.example/1.jpg",
        ),
        # a stand-in by its name, before three articles share it
        ([("https://news.example/content/logos/nw_logo_social.png", 1)], None),
        (
            [("https://a.example/ibm-logo.jpg?w=1200", 1), ("https://a.example/own.jpg", 1)],
            "https://a.example/own.jpg",
        ),
        ([("https://a.example/og-Default-Image.PNG", 1)], None),
        ([("https://a.example/placeholder.jpg", 1)], None),
        ([("https://a.example/logoff-screen.jpg", 1)], "https://a.example/logoff-screen.jpg"),
        ([("https://a.example/prologue.jpg", 1)], "https://a.example/prologue.jpg"),
        ([("https://a.example/logo/own-photo.jpg", 1)], "https://a.example/logo/own-photo.jpg"),
    ],
)
def test_which_image_a_post_gets(images: list[tuple[str, int]], chosen: str | None) -> None:
    assert article_image(images) == chosen


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://CDN.Example.com/a.png", "https://cdn.example.com/a.png"),
        ("HTTPS://cdn.example.com:443/a.png#top", "https://cdn.example.com/a.png"),
        ("http://cdn.example.com:80/a.png/", "http://cdn.example.com/a.png"),
        ("https://cdn.example.com/A.png?w=1200", "https://cdn.example.com/A.png?w=1200"),
        (" https://cdn.example.com/a.png ", "https://cdn.example.com/a.png"),
        ("/relative/logo.png", None),
        ("data:image/png;base64,AAAA", None),
        ("https:///no-host.png", None),
        ("https://cdn.example.com?x=1", "https://cdn.example.com/?x=1"),
    ],
)
def test_image_key(url: str, key: str | None) -> None:
    assert image_key(url) == key


def _data(n: int, *images: str) -> ArticleData:
    url = f"https://news.example.com/{n}"
    return ArticleData(
        url=url,
        link=url,
        title=f"Story {n}",
        heat=150,
        published_at=NOW,
        image_url=images[0] if images else None,
        images=images,
    )


async def _store(db: Db, *articles: ArticleData) -> dict[str, int]:
    async with db.uow() as tx:
        return await tx.articles.add_articles(
            [SourcedArticle(a, f"/{a.url[-2:]}.md", 1) for a in articles], NOW
        )


async def _image_of(db: Db, article_id: int) -> str | None:
    async with db.uow() as tx:
        article = await tx.articles.article(article_id)
    assert article is not None
    return article.image_url


async def test_an_image_three_articles_share_is_not_posted(db: Db) -> None:
    ids = await _store(
        db,
        _data(1, DEFAULT),
        _data(
            2,
            DEFAULT.upper().replace("/IMAGES/SHARED/SOCIAL/SOCIAL-SHARE-BANNER.PNG", "")
            + "/images/shared/social/social-share-banner.png#x",
        ),  # the same, spelt otherwise
        _data(3, "https://news.example.com/own-3.jpg"),
    )
    # two articles share it: still an image (two stories can share a picture)
    assert await _image_of(db, ids["https://news.example.com/1"]) == DEFAULT
    more = await _store(db, _data(4, DEFAULT, "https://news.example.com/own-4.jpg"), _data(5))
    assert await _image_of(db, ids["https://news.example.com/1"]) is None
    # the article's other image stands in for the generic one
    assert (
        await _image_of(db, more["https://news.example.com/4"])
        == "https://news.example.com/own-4.jpg"
    )
    assert (
        await _image_of(db, ids["https://news.example.com/3"])
        == "https://news.example.com/own-3.jpg"
    )
    assert await _image_of(db, more["https://news.example.com/5"]) is None


async def test_a_rewritten_article_counts_its_images_once(db: Db) -> None:
    ids = await _store(db, _data(1, DEFAULT), _data(2, DEFAULT, DEFAULT))
    first = ids["https://news.example.com/1"]
    for _ in range(3):  # rewritten in place, hourly: still one article with that image
        async with db.uow() as tx:
            await tx.articles.replace_articles(
                [(first, SourcedArticle(_data(1, DEFAULT), "/1.md", 2))], NOW
            )
    async with db.uow() as tx:
        counts = await tx.articles._images.share_counts([image_key(DEFAULT) or ""])
    assert counts == {image_key(DEFAULT): 2}
    assert await _image_of(db, first) == DEFAULT


async def test_share_counts_stop_at_the_threshold(db: Db) -> None:
    await _store(db, *(_data(n, DEFAULT) for n in range(10, 20)), _data(30, "https://x.example/a"))
    async with db.uow() as tx:
        counts = await tx.articles._images.share_counts(
            [image_key(DEFAULT) or "", "https://x.example/a", "https://x.example/none"]
        )
    assert counts == {
        image_key(DEFAULT): GENERIC_SHARES,
        "https://x.example/a": 1,
        "https://x.example/none": 0,
    }


async def test_the_share_count_reads_the_url_key_index(db: Db) -> None:
    """At a million articles the count must be an index lookup, not a scan of article_images:
    the plan of the very statement the repository runs."""
    await _store(db, *(_data(n, DEFAULT) for n in range(10, 14)))
    executed: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "article_images" in statement and "count" in statement:
            executed.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        async with db.uow() as tx:
            await tx.articles._images.share_counts([image_key(DEFAULT) or "", "https://x/a"])
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)
    assert len(executed) == 1
    statement, parameters = executed[0]
    sqlite = db.url.startswith("sqlite")
    async with db.engine.connect() as conn:
        if not sqlite:
            await conn.exec_driver_sql("SET enable_seqscan = off")  # a tiny table: no shortcut
        prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
        rows = await conn.exec_driver_sql(prefix + statement, parameters)
        plan = " ".join(str(row[-1]) for row in rows)
    assert "ix_article_images_url_key" in plan, plan
    assert "SCAN article_images" not in plan and "Seq Scan" not in plan, plan


def test_the_migration_backfills_the_stored_articles_images(database_url: str) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    from storage.database import MIGRATIONS_DIR, sync_url, upgrade_to_head

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["sqlalchemy_url"] = sync_url(database_url)
    command.upgrade(config, "0002")
    engine = create_engine(sync_url(database_url))
    try:
        with engine.begin() as conn:
            for n, image in enumerate([DEFAULT, "HTTPS://Blog.Example.com:443/own.jpg#x", None]):
                conn.execute(
                    text(
                        "INSERT INTO articles (url, link, title, excerpt, image_url, "
                        "source_path, source_mtime_ns, first_seen_at, updated_at) VALUES "
                        "(:u, :l, 't', '', :i, '/a.md', 1, :now, :now)"
                    ),
                    {
                        "u": f"https://e.example/{n}",
                        "l": f"https://e.example/{n}",
                        "i": image,
                        "now": NOW.replace(tzinfo=None),
                    },
                )
        upgrade_to_head(database_url)
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT position, url, url_key FROM article_images ORDER BY article_id")
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [
        (0, DEFAULT, image_key(DEFAULT)),
        (0, "HTTPS://Blog.Example.com:443/own.jpg#x", "https://blog.example.com/own.jpg"),
    ]
