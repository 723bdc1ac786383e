"""The schema and the outbox queries on real databases (SQLite file and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from jobs.channel_recovery import channel_back
from storage import outbox, subscriptions
from storage.database import HEAD_REVISION, MIGRATIONS_DIR, sync_url, upgrade_to_head
from storage.records import ArticleData, ChatKind, DeliveryKind, DeliveryStatus, SourcedArticle
from storage.tables import Base
from tests.conftest import Db

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_head_revision_is_alembic_head() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION


def test_a_database_at_head_is_recognised_without_alembic(db: Db) -> None:
    """Repeated upgrades are no-ops, and the check for "already at head" reads the version."""
    upgrade_to_head(db.url)  # already at head (the fixture upgraded it): must not fail
    engine = create_engine(sync_url(db.url))
    try:
        _downgrade(db.url, "0001")  # every later migration's downgrade runs
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"
        upgrade_to_head(db.url)  # behind: Alembic runs and brings it back
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
                HEAD_REVISION
            )
            conn.execute(text("SELECT count(*) FROM feed_sources"))
    finally:
        engine.dispose()


def _downgrade(url: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["sqlalchemy_url"] = sync_url(url)
    command.downgrade(config, revision)


def _upgrade(url: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["sqlalchemy_url"] = sync_url(url)
    command.upgrade(config, revision)


def test_threads_migration_keeps_posts_edits_and_heat_both_ways(database_url: str) -> None:
    """0004 -> 0005: a post and its story's edits stay (thread 0), a chat's /heat becomes its
    settings row; the key is (article, chat, thread, revision). Down again: the heat is back on
    the chat, forum threads' rows go, the posts and edits stay."""
    _upgrade(database_url, "0004_images_heat_history")
    engine = create_engine(sync_url(database_url))
    now = NOW.replace(tzinfo=None)
    rows = "SELECT article_id, chat_id, kind, revision FROM deliveries ORDER BY id"
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO articles (id, url, link, title, excerpt, source_path, "
                    "source_mtime_ns, first_seen_at, updated_at) "
                    "VALUES (1, 'u', 'u', 't', '', '/a.md', 1, :now, :now)"
                ),
                {"now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO chats (id, kind, active, min_heat, created_at, updated_at) "
                    "VALUES (-100, 'supergroup', true, 180, :now, :now)"
                ),
                {"now": now},
            )
            for kind, revision in [("post", 0), ("edit", 1), ("edit", 2)]:
                conn.execute(
                    text(
                        "INSERT INTO deliveries (article_id, chat_id, status, attempts, "
                        "next_attempt_at, created_at, kind, revision) "
                        "VALUES (1, -100, 'sent', 1, :now, :now, :kind, :revision)"
                    ),
                    {"now": now, "kind": kind, "revision": revision},
                )
        upgrade_to_head(database_url)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT min_heat FROM chat_settings")).all() == [(180,)]
            assert conn.execute(text("SELECT DISTINCT thread_id FROM deliveries")).all() == [(0,)]
            # the same article to a forum thread of the chat is another row...
            insert_thread_post = text(
                "INSERT INTO deliveries (article_id, chat_id, thread_id, status, attempts, "
                "next_attempt_at, created_at) VALUES (1, -100, 7, 'pending', 0, :now, :now)"
            )
            conn.execute(insert_thread_post, {"now": now})
        with pytest.raises(IntegrityError), engine.begin() as conn:  # ...but only one
            conn.execute(insert_thread_post, {"now": now})
        _downgrade(database_url, "0004_images_heat_history")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT min_heat FROM chats")).all() == [(180,)]
            assert [tuple(r) for r in conn.execute(text(rows))] == [
                (1, -100, "post", 0),
                (1, -100, "edit", 1),
                (1, -100, "edit", 2),
            ]
    finally:
        engine.dispose()


def test_migrations_and_models_agree(db: Db) -> None:
    engine = create_engine(sync_url(db.url))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


async def _article(db: Db, url: str = "https://example.com/a", topics: tuple[str, ...] = ()) -> int:
    async with db.uow() as tx:
        return await tx.articles.add_article(
            ArticleData(url=url, link=url, title="T", heat=150, published_at=NOW, topics=topics),
            source_path="/x.md",
            source_mtime_ns=1,
            now=NOW,
        )


async def _two_queued(db: Db, chat_id: int) -> tuple[int, int]:
    """Two articles queued for one private chat; their ids."""
    first = await _article(db, "https://example.com/1")
    second = await _article(db, "https://example.com/2")
    async with db.uow() as tx:
        await tx.chats.ensure_chat(chat_id, ChatKind.PRIVATE, None, NOW)
        await tx.outbox.enqueue(first, [chat_id], NOW)
        await tx.outbox.enqueue(second, [chat_id], NOW)
    return first, second


async def test_datetimes_round_trip_as_aware_utc(db: Db) -> None:
    article_id = await _article(db)
    async with db.uow() as tx:
        article = await tx.articles.article(article_id)
    assert article is not None
    assert article.published_at == NOW and article.published_at.tzinfo is not None


async def test_topics_are_one_per_spelling_family(db: Db) -> None:
    first = await _article(db, "https://example.com/1", ("Computer Vision", "AI"))
    second = await _article(db, "https://example.com/2", ("computer  vision", "#AI"))
    async with db.uow() as tx:
        a = await tx.articles.article(first)
        b = await tx.articles.article(second)
    assert a is not None and b is not None
    assert set(a.topics) == set(b.topics) == {"Computer Vision", "AI"}


async def test_enqueue_is_idempotent_per_article_and_chat(db: Db) -> None:
    article_id = await _article(db)
    async with db.uow() as tx:
        await tx.chats.ensure_chat(-100, ChatKind.CHANNEL, "c", NOW)
        await tx.chats.ensure_chat(7, ChatKind.PRIVATE, "u", NOW)
        assert await tx.outbox.enqueue(article_id, [-100, 7], NOW) == 2
    async with db.uow() as tx:
        assert await tx.outbox.enqueue(article_id, [-100, 7], NOW) == 0
        assert (await tx.stats.delivery_counts())[DeliveryStatus.PENDING] == 2


async def test_claim_release_and_crash_recovery(db: Db) -> None:
    article_id = await _article(db)
    async with db.uow() as tx:
        for chat in (1, 2, 3):
            await tx.chats.ensure_chat(chat, ChatKind.PRIVATE, None, NOW)
        await tx.outbox.enqueue(article_id, [1, 2, 3], NOW)
    async with db.uow() as tx:
        claimed = await tx.outbox.claim_due(NOW, 2)
    assert [d.chat_id for d in claimed] == [1, 2]
    assert all(d.status is DeliveryStatus.SENDING and d.attempts == 1 for d in claimed)
    async with db.uow() as tx:
        # Claimed rows are not handed out twice; future rows are not due.
        assert [d.chat_id for d in await tx.outbox.claim_due(NOW, 10)] == [3]
    async with db.uow() as tx:
        assert await tx.outbox.claim_due(NOW, 10) == []
        # What a killed process left in `sending` goes back to pending at the next start.
        assert await tx.outbox.release_in_flight() == 3
        assert len(await tx.outbox.claim_due(NOW, 10)) == 3


async def test_retry_time_is_respected(db: Db) -> None:
    article_id = await _article(db)
    async with db.uow() as tx:
        await tx.chats.ensure_chat(1, ChatKind.PRIVATE, None, NOW)
        await tx.outbox.enqueue(article_id, [1], NOW)
    async with db.uow() as tx:
        (delivery,) = await tx.outbox.claim_due(NOW, 1)
        await tx.outbox.mark_retry(delivery.id, NOW + timedelta(seconds=30), "502")
    async with db.uow() as tx:
        assert await tx.outbox.claim_due(NOW + timedelta(seconds=29), 1) == []
        assert await tx.outbox.next_due_at() == NOW + timedelta(seconds=30)
        assert len(await tx.outbox.claim_due(NOW + timedelta(seconds=30), 1)) == 1


async def test_deactivating_a_chat_cancels_its_pending_deliveries(db: Db) -> None:
    await _two_queued(db, 5)
    async with db.uow() as tx:
        assert await tx.deactivate_chat(5, "Forbidden: bot was blocked by the user", NOW) == 2
        chat = await tx.chats.chat(5)
        assert chat is not None and not chat.active
        assert await tx.outbox.claim_due(NOW, 10) == []
    async with db.uow() as tx:
        # Coming back (/start) makes it active again.
        await tx.chats.ensure_chat(5, ChatKind.PRIVATE, None, NOW)
        chat = await tx.chats.chat(5)
        assert chat is not None and chat.active


async def test_a_lost_channel_back_gets_what_its_loss_cancelled_within_the_window(
    db: Db,
) -> None:
    """jobs.channel_recovery: what the loss cancelled and was queued since the window's start
    is owed again, due now; an older one stays cancelled; an active channel has none."""
    old = await _article(db, "https://example.com/old")
    new = await _article(db, "https://example.com/new")
    async with db.uow() as tx:
        await tx.chats.ensure_chat(-100, ChatKind.CHANNEL, "c", NOW)
        await tx.outbox.enqueue(old, [-100], NOW - timedelta(hours=50))
        await tx.outbox.enqueue(new, [-100], NOW - timedelta(hours=1))
        assert await tx.deactivate_chat(-100, "no right to post in the channel", NOW) == 2
    assert await channel_back(db.uow, -100, NOW, timedelta(hours=48)) == 1
    async with db.uow() as tx:
        rows = {d.article_id: d for d in await tx.outbox.deliveries_for(-100)}
        await tx.chats.ensure_chat(-100, ChatKind.CHANNEL, "c", NOW)
    assert rows[old].status is DeliveryStatus.CANCELLED
    assert (rows[new].status, rows[new].next_attempt_at) == (DeliveryStatus.PENDING, NOW)
    assert await channel_back(db.uow, -100, NOW, timedelta(hours=48)) == 0  # active: nothing


async def test_migrated_group_keeps_its_deliveries(db: Db) -> None:
    article_id = await _article(db, topics=("AI",))
    async with db.uow() as tx:
        await tx.chats.ensure_chat(-5, ChatKind.GROUP, "g", NOW)
        await tx.outbox.enqueue(article_id, [-5], NOW)
        (delivery,) = await tx.outbox.claim_due(NOW, 1)
        await tx.migrate_chat(-5, -1005, NOW)
    async with db.uow() as tx:
        old = await tx.chats.chat(-5)
        new = await tx.chats.chat(-1005)
        moved = await tx.outbox.deliveries_for(-1005)
    assert old is not None and not old.active
    assert new is not None and new.active and new.kind is ChatKind.SUPERGROUP
    assert [(d.id, d.status) for d in moved] == [(delivery.id, DeliveryStatus.PENDING)]


async def test_migrated_group_keeps_its_language(db: Db) -> None:
    """A group that chose /language keeps the choice in its supergroup; one the supergroup
    made itself (after the move, before a send found it) stays."""
    async with db.uow() as tx:
        await tx.chats.ensure_chat(-7, ChatKind.GROUP, "g", NOW)
        await tx.chats.set_language(-7, "ru", NOW)
        await tx.chats.ensure_chat(-8, ChatKind.GROUP, "h", NOW)
        await tx.chats.set_language(-8, "ru", NOW)
        await tx.chats.ensure_chat(-1008, ChatKind.SUPERGROUP, "h", NOW)
        await tx.chats.set_language(-1008, "zh_Hans", NOW)
    async with db.uow() as tx:
        await tx.migrate_chat(-7, -1007, NOW)
        await tx.migrate_chat(-8, -1008, NOW)
    async with db.uow() as tx:
        moved, chosen = await tx.chats.chat(-1007), await tx.chats.chat(-1008)
    assert moved is not None and moved.language == "ru"
    assert chosen is not None and chosen.language == "zh_Hans"


async def test_a_chats_app_language_is_kept_until_its_user_shows_another(db: Db) -> None:
    """A message without a language (None) leaves the app language known; a new one replaces
    it; the /language choice goes before it in what the bot writes unasked."""
    async with db.uow() as tx:
        await tx.chats.ensure_chat(5, ChatKind.PRIVATE, "u", NOW, app_language="ru")
        await tx.chats.ensure_chat(5, ChatKind.PRIVATE, "u", NOW)
        await tx.chats.ensure_chat(6, ChatKind.PRIVATE, "v", NOW, app_language="ru")
        await tx.chats.ensure_chat(6, ChatKind.PRIVATE, "v", NOW, app_language="zh_Hans")
        await tx.chats.ensure_chat(7, ChatKind.PRIVATE, "w", NOW, app_language="ru")
        await tx.chats.set_language(7, "en", NOW)
        await tx.chats.ensure_chat(8, ChatKind.PRIVATE, "x", NOW)
    async with db.uow() as tx:
        kept = await tx.chats.chat(5)
        languages = await tx.chats.languages([5, 6, 7, 8])
    assert kept is not None and kept.app_language == "ru" and kept.reader_language == "ru"
    assert languages == {5: "ru", 6: "zh_Hans", 7: "en"}


async def test_alert_rows_live_beside_posts_and_edits(db: Db) -> None:
    """An alert is a row of kind 'alert' without an article, once per (chat, key); posts (one
    per article and chat, revision 0) and edits keep their own key; post-only queries pass
    alerts over: the last post, and moving a migrated group's posts to a chat with an alert."""
    article_id = await _article(db, topics=("AI",))
    async with db.uow() as tx:
        await tx.chats.ensure_chat(-5, ChatKind.GROUP, "g", NOW)
        await tx.chats.ensure_chat(-1005, ChatKind.SUPERGROUP, "g", NOW)
        assert await tx.outbox.enqueue_alert(-1005, "channel#1:down", "<b>lost</b>", NOW) == 1
        assert await tx.outbox.enqueue_alert(-1005, "channel#1:down", "again", NOW) == 0
        assert await tx.outbox.enqueue_alert(-1005, "channel#1:up", "back", NOW) == 1
        assert await tx.outbox.enqueue(article_id, [-1005, -5], NOW) == 2
        assert await tx.outbox.enqueue_edit(article_id, -1005, 1, NOW) == 1
    async with db.uow() as tx:
        rows = await tx.outbox.deliveries_for(-1005)
        alert = next(d for d in rows if d.alert_key == "channel#1:down")
        assert alert.kind is DeliveryKind.ALERT and alert.article_id is None
        assert alert.body == "<b>lost</b>"
        assert sorted(d.kind.value for d in rows) == ["alert", "alert", "edit", "post"]
        assert len(await tx.outbox.claim_due(NOW, 10)) == 5
        for d in rows:
            photo = "https://img.example/1.jpg" if d.kind is DeliveryKind.POST else None
            await tx.outbox.mark_sent(d.id, 100 + d.id, NOW + timedelta(minutes=d.id), photo)
        post = next(d for d in rows if d.kind is DeliveryKind.POST)
        assert await tx.outbox.last_sent_at(-1005) == NOW + timedelta(minutes=post.id)
        assert await tx.outbox.last_revision(article_id, -1005) == 1
    async with db.uow() as tx:  # an alert's text is kept; a post keeps its photo
        kept = {
            (d.kind, d.alert_key): (d.body, d.photo) for d in await tx.outbox.deliveries_for(-1005)
        }
        assert kept == {
            (DeliveryKind.ALERT, "channel#1:down"): ("<b>lost</b>", None),
            (DeliveryKind.ALERT, "channel#1:up"): ("back", None),
            (DeliveryKind.POST, None): (None, "https://img.example/1.jpg"),
            (DeliveryKind.EDIT, None): (None, None),
        }
    async with db.uow() as tx:
        await tx.chats.ensure_chat(-6, ChatKind.GROUP, "h", NOW)
        await tx.chats.ensure_chat(-1006, ChatKind.SUPERGROUP, "h", NOW)
        await tx.outbox.enqueue(article_id, [-6], NOW)
        await tx.outbox.enqueue_alert(-1006, "channel#2:down", "lost", NOW)
        await tx.migrate_chat(-6, -1006, NOW)
    async with db.uow() as tx:
        moved = await tx.outbox.deliveries_for(-1006)
    assert sorted(d.kind.value for d in moved) == ["alert", "post"]


async def test_postpone_does_not_count_the_attempt_and_defers_the_chat(db: Db) -> None:
    first, second = await _two_queued(db, 9)
    later = NOW + timedelta(seconds=12)
    async with db.uow() as tx:
        (delivery,) = await tx.outbox.claim_due(NOW, 1)
        await tx.outbox.postpone(delivery.id, later, "429")
        await tx.outbox.defer_chat(9, later)
    async with db.uow() as tx:
        assert await tx.outbox.claim_due(NOW + timedelta(seconds=11), 10) == []
        again = await tx.outbox.claim_due(later, 10)
    assert {d.article_id for d in again} == {first, second}
    assert next(d for d in again if d.id == delivery.id).attempts == 1


async def test_state_survives(db: Db) -> None:
    async with db.uow() as tx:
        await tx.state.set("paused", "1")
        await tx.state.set("paused", "0")
    async with db.uow() as tx:
        assert await tx.state.get("paused") == "0"
        assert await tx.state.get("missing") is None


# --- bulk writes and large reads --------------------------------------------------------------


def _sourced(url: str, topics: tuple[str, ...], heat: int = 150) -> SourcedArticle:
    data = ArticleData(url=url, link=url, title=url[-1], heat=heat, published_at=NOW, topics=topics)
    return SourcedArticle(data, f"/src/{url[-1]}.md", 1)


async def test_bulk_add_and_replace_articles_with_their_topics(db: Db) -> None:
    async with db.uow() as tx:
        ids = await tx.articles.add_articles(
            [
                _sourced("https://example.com/a", ("Computer Vision", "AI")),
                _sourced("https://example.com/b", ("computer  vision", "#AI", "AI")),
                _sourced("https://example.com/c", ()),
            ],
            NOW,
        )
    assert set(ids) == {"https://example.com/a", "https://example.com/b", "https://example.com/c"}
    later = NOW + timedelta(hours=1)
    async with db.uow() as tx:
        await tx.articles.replace_articles(
            [(ids["https://example.com/a"], _sourced("https://example.com/a", ("Robots",), 99))],
            later,
        )
    async with db.uow() as tx:
        stored = await tx.articles.articles(ids.values())
        summaries = {t.name: t.articles for t in await tx.topics.topic_summaries()}
    a, b, c = (stored[ids[f"https://example.com/{x}"]] for x in "abc")
    assert (a.topics, a.heat, a.updated_at, a.first_seen_at) == (("Robots",), 99, later, NOW)
    assert set(b.topics) == {"Computer Vision", "AI"} and c.topics == ()
    # The first spelling met names the topic; the replaced article no longer counts for it.
    assert summaries == {"Computer Vision": 1, "AI": 1, "Robots": 1}


async def test_enqueue_in_chunks_counts_only_new_rows(
    db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "ARRAY_CHUNK", 2)
    article_id = await _article(db)
    async with db.uow() as tx:
        for chat in range(1, 8):
            await tx.chats.ensure_chat(chat, ChatKind.PRIVATE, None, NOW)
        assert await tx.outbox.enqueue(article_id, iter([1, 2, 3]), NOW) == 3
    async with db.uow() as tx:
        assert await tx.outbox.enqueue(article_id, range(1, 8), NOW) == 4
        assert (await tx.stats.delivery_counts())[DeliveryStatus.PENDING] == 7


async def test_subscribers_are_streamed_once_per_chat_with_shared_topic_sets(
    db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(subscriptions, "_FETCH_ROWS", 2)  # several pages, a chat split across two
    async with db.uow() as tx:
        await tx.topics.ensure_topics(["AI", "ML", "Other"])
        ids = {t.name: t.id for t in await tx.topics.topic_summaries()}
        for chat in (5, 3, 4, 1, 2):
            await tx.chats.ensure_chat(chat, ChatKind.PRIVATE, None, NOW)
            await tx.settings.change(chat, 0, NOW, min_heat=chat * 10)
        await tx.subscriptions.subscribe(1, [ids["AI"], ids["ML"]], NOW)
        await tx.subscriptions.subscribe(2, [ids["AI"], ids["ML"], ids["Other"]], NOW)
        await tx.subscriptions.subscribe(3, [ids["ML"]], NOW)
        await tx.subscriptions.subscribe(4, [ids["Other"]], NOW)
        await tx.subscriptions.subscribe(5, [ids["AI"]], NOW)
        await tx.deactivate_chat(5, "blocked", NOW)
        found = await tx.subscriptions.subscribers(["ai", "ML"])
    assert [(s.chat_id, s.min_heat, s.topic_keys) for s in found] == [
        (1, 10, {"ai", "ml"}),
        (2, 20, {"ai", "ml"}),
        (3, 30, {"ml"}),
    ]
    assert found[0].topic_keys is found[1].topic_keys  # one set shared by chats following both


async def test_subscriber_pages_carry_each_subscribers_own_settings(db: Db) -> None:
    """Settings are read a page at a time, apart from the followers: each page's subscribers get
    their own (chat, thread) row or the defaults, and a closed thread is left out."""
    paused = NOW + timedelta(days=7)
    async with db.uow() as tx:
        await tx.topics.ensure_topics(["AI"])
        (ai,) = [t.id for t in await tx.topics.topic_summaries()]
        for chat in range(1, 6):
            await tx.chats.ensure_chat(chat, ChatKind.PRIVATE, None, NOW)
        for chat, thread in [(1, 0), (1, 7), (1, 9), (2, 0), (3, 0), (4, 0), (5, 0)]:
            await tx.subscriptions.subscribe(chat, [ai], NOW, thread_id=thread)
        await tx.settings.change(1, 7, NOW, filters='["+robot"]')
        await tx.settings.change(1, 9, NOW, active=False, inactive_reason="closed")
        await tx.settings.change(2, 0, NOW, digest="daily")
        await tx.settings.change(3, 0, NOW, silent=True)  # a row, but nothing fan-out reads
        await tx.settings.change(4, 0, NOW, min_heat=150, paused_until=paused)
        pages = [page async for page in tx.subscriptions.subscriber_pages(["AI"], page_size=2)]
    assert len(pages) > 2 and all(0 < len(page) <= 2 for page in pages)
    found = {(s.chat_id, s.thread_id): s for page in pages for s in page}
    assert all(s.active and s.topic_keys == {"ai"} for s in found.values())
    assert [  # (1, 9) was closed
        (pair, s.min_heat, s.filters, s.digest, s.paused_until) for pair, s in found.items()
    ] == [
        ((1, 0), None, "", False, None),
        ((1, 7), None, '["+robot"]', False, None),
        ((2, 0), None, "", True, None),
        ((3, 0), None, "", False, None),
        ((4, 0), 150, "", False, paused),
        ((5, 0), None, "", False, None),
    ]


async def test_subscribers_of_more_topics_than_one_query_takes(db: Db) -> None:
    names = [f"topic {n}" for n in range(520)]
    async with db.uow() as tx:
        await tx.topics.ensure_topics(names)
        ids = {t.name: t.id for t in await tx.topics.topic_summaries()}
        await tx.chats.ensure_chat(1, ChatKind.PRIVATE, None, NOW)
        await tx.subscriptions.subscribe(1, [ids["topic 0"], ids["topic 519"]], NOW)
        found = await tx.subscriptions.subscribers(names)
    assert [(s.chat_id, len(s.topic_keys)) for s in found] == [(1, 2)]


async def test_chats_with_story_names_those_owed_another_article_of_it(db: Db) -> None:
    first, second = await _two_queued(db, 5)
    third = await _article(db, "https://example.com/3")
    async with db.uow() as tx:
        await tx.outbox.enqueue(third, [5], NOW)
        story = await tx.stories.open_story(first, "v1", NOW)
        await tx.stories.join(story, [second])
        alone = await tx.stories.open_story(third, "v1", NOW)
        # chat 5 is owed both of the story's articles: the other one's post counts
        assert await tx.outbox.chats_with_story(story, [5, 6], besides=second) == {(5, 0)}
        # a story of one article: its own post is not "another", ON CONFLICT keeps it once
        assert await tx.outbox.chats_with_story(alone, [5], besides=third) == set()
