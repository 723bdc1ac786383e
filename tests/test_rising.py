"""Rising stories and generic images end to end, and the heat history on real databases: a sample
per heat change, bounded, written in bulk with the articles."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobs.ingest.files import ingest_files
from storage.heat_history import HISTORY_SPAN, KEEP_SAMPLES
from storage.records import ArticleData, ChatKind, SourcedArticle
from tests.article_factory import write_article
from tests.bot_process import CHANNEL_ID
from tests.conftest import Db
from tests.fake_telegram.server import FakeTelegram
from tests.live_bot import bot_config, fake_with, live_bot

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with fake_with() as running:
        yield running


RISING = {"min_heat": 70, "gain": 20, "within_hours": 3}


def _data(heat: int | None, n: int = 1) -> ArticleData:
    url = f"https://example.com/{n}"
    return ArticleData(url=url, link=url, title=f"Story {n}", heat=heat, published_at=NOW)


async def test_a_sample_per_heat_change_and_none_for_a_rewrite(db: Db) -> None:
    async with db.uow() as tx:
        ids = await tx.articles.add_articles(
            [SourcedArticle(_data(72), "/1.md", 1), SourcedArticle(_data(None, 2), "/2.md", 1)],
            NOW,
        )
    first = ids["https://example.com/1"]
    for minutes, heat in [(60, 72), (120, 80), (180, 80), (240, 95)]:
        async with db.uow() as tx:
            await tx.articles.replace_articles(
                [(first, SourcedArticle(_data(heat), "/1.md", minutes))],
                NOW + timedelta(minutes=minutes),
            )
    async with db.uow() as tx:
        histories = await tx.heat.histories(ids.values())
    assert [(s.at - NOW, s.heat) for s in histories[first]] == [
        (timedelta(0), 72),
        (timedelta(minutes=120), 80),
        (timedelta(minutes=240), 95),
    ]
    assert ids["https://example.com/2"] not in histories  # no heat, no history


async def test_the_history_is_pruned_when_written(db: Db) -> None:
    async with db.uow() as tx:
        ids = await tx.articles.add_articles([SourcedArticle(_data(1), "/1.md", 1)], NOW)
    article_id = ids["https://example.com/1"]
    last = NOW
    for step in range(1, KEEP_SAMPLES + 10):
        last = NOW + timedelta(minutes=5 * step)
        async with db.uow() as tx:
            await tx.heat.record([(article_id, step + 1)], last)
    async with db.uow() as tx:
        kept = (await tx.heat.histories([article_id]))[article_id]
    assert len(kept) == KEEP_SAMPLES
    assert kept[-1].heat == KEEP_SAMPLES + 10
    later = last + HISTORY_SPAN + timedelta(minutes=1)
    async with db.uow() as tx:
        await tx.heat.record([(article_id, 500)], later)
    async with db.uow() as tx:
        kept = (await tx.heat.histories([article_id]))[article_id]
    assert [(s.at, s.heat) for s in kept] == [(later, 500)]


async def test_two_ingests_72_then_95_post_it_marked_rising(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    """Issue 12, rising stories: below min_heat (100), +23 within the window: posted with 📈."""
    articles = tmp_path / "articles"
    url = "https://example.com/news/climbing"
    write_article(articles, "climbing.md", url=url, title="A climbing story", heat=72)
    write_article(articles, "steady.md", url="https://example.com/news/steady", heat=96)
    config = bot_config(tmp_path, fake, publish={"rising": RISING, "max_age_hours": None})
    async with live_bot(fake, config) as bot:
        await bot.run_publishing()
        write_article(articles, "climbing.md", url=url, title="A climbing story", heat=95)
        write_article(articles, "steady.md", url="https://example.com/news/steady", heat=97)
        await bot.run_publishing()
        await fake.wait_for_async(
            lambda f: len(f.sent(CHANNEL_ID)) >= 1, what="the rising story in the channel"
        )
        await bot.settle()
        async with bot.svc.uow() as tx:
            stored = await tx.articles.article_by_url(url)
    (post,) = fake.sent(CHANNEL_ID)  # the steady one (+1) is not rising
    assert post.text is not None and "A climbing story" in post.text
    assert "🔥 95 📈" in post.text
    assert stored is not None and stored.rising


async def test_without_rising_config_the_climb_is_not_posted(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    articles = tmp_path / "articles"
    url = "https://example.com/news/climbing"
    write_article(articles, "climbing.md", url=url, heat=72)
    config = bot_config(tmp_path, fake, publish={"max_age_hours": None})
    async with live_bot(fake, config) as bot:
        await bot.run_publishing()
        write_article(articles, "climbing.md", url=url, heat=95)
        await bot.run_publishing()
        await bot.settle()
    assert fake.sent(CHANNEL_ID) == []


async def test_a_generic_image_post_goes_out_as_text_with_the_page_preview(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    """Issue 12 item 1: three articles share the site's default image; each goes out as text
    with a large link preview; an article with its own second image is a photo of that one."""
    articles = tmp_path / "articles"
    default = "https://blog.example.com/images/social-default.png"
    for n in range(3):
        write_article(articles, f"{n}.md", url=f"https://blog.example.com/{n}", image=default)
    write_article(
        articles,
        "own.md",
        url="https://blog.example.com/own",
        image=default,
        images=[{"url": default}, {"url": "https://blog.example.com/own.jpg"}],
    )
    config = bot_config(tmp_path, fake, publish={"max_age_hours": None})
    async with live_bot(fake, config) as bot:
        await bot.run_publishing()
        await fake.wait_for_async(lambda f: len(f.sent(CHANNEL_ID)) >= 4, what="four posts")
    sent = fake.sent(CHANNEL_ID)
    photos = [c for c in sent if c.method == "sendPhoto"]
    texts = [c for c in sent if c.method == "sendMessage"]
    assert [c.params.get("photo") for c in photos] == ["https://blog.example.com/own.jpg"]
    assert len(texts) == 3
    for call in texts:
        assert "prefer_large_media" in str(call.params.get("link_preview_options"))


async def test_ingest_writes_history_in_bulk(db: Db, tmp_path: Path) -> None:
    """The file pass: a sample for each new article with a heat (one statement for all)."""
    for n in range(30):
        write_article(tmp_path, f"{n}.md", url=f"https://example.com/{n}", heat=70 + n)
    report = await ingest_files(db.uow, [tmp_path], clock=lambda: NOW)
    assert report.new == 30
    async with db.uow() as tx:
        found = [await tx.articles.article_by_url(f"https://example.com/{n}") for n in range(30)]
        histories = await tx.heat.histories(a.id for a in found if a is not None)
    assert sorted(s.heat for h in histories.values() for s in h) == list(range(70, 100))


async def test_stats_count_teasers_and_list_rising_stories(db: Db, tmp_path: Path) -> None:
    from jobs.not_news import NotNews
    from jobs.publishing import publish_run
    from jobs.selection import PublishRules, RisingRules
    from jobs.stats import gather_stats

    rules = PublishRules(
        min_heat=100,
        max_age=timedelta(hours=24),
        max_per_run=1,
        rising=RisingRules(70, 20, timedelta(hours=3)),
        exclude=NotNews.of(),
    )
    async with db.uow() as tx:
        await tx.chats.ensure_chat(-1001, ChatKind.CHANNEL, "news", NOW)
    for n in range(3):  # the hottest: teasers, which must not take the run's one place
        write_article(
            tmp_path,
            f"ft{n}.md",
            url=f"https://ft.example.com/{n}",
            title="Become an FT subscriber to read:",
            heat=250,
            published_at=NOW,
        )
    write_article(tmp_path, "up.md", url="https://example.com/up", heat=72, published_at=NOW)
    write_article(tmp_path, "news.md", url="https://example.com/news", heat=150, published_at=NOW)
    first = await publish_run(db.uow, [tmp_path], rules, -1001, clock=lambda: NOW)
    assert [a.url for a in first.selected] == ["https://example.com/news"]
    write_article(tmp_path, "up.md", url="https://example.com/up", heat=95, published_at=NOW)
    later = NOW + timedelta(hours=1)
    second = await publish_run(db.uow, [tmp_path], rules, -1001, clock=lambda: later)
    assert [(a.url, a.rising) for a in second.selected] == [("https://example.com/up", True)]
    stats = await gather_stats(db.uow, rules, -1001, later)
    assert stats.not_news == 3
    assert stats.rising is not None
    assert [(r.article.url, r.gain) for r in stats.rising] == [("https://example.com/up", 23)]
