"""Following topics, fan-out in the scheduled run, manual /publish and /stats figures, on real
databases (SQLite file and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from jobs import subscriptions
from jobs.publishing import (
    AlreadyPosted,
    ChannelUnavailable,
    Queued,
    UnknownArticle,
    publish_now,
    publish_run,
    set_paused,
)
from jobs.selection import PublishRules
from jobs.stats import gather_stats
from jobs.topic_matching import Ambiguous, NoMatch
from storage.records import ChatKind, DeliveryStatus
from tests.article_factory import write_article
from tests.conftest import Db

NOW = datetime.now(UTC)
RULES = PublishRules(min_heat=100, max_age=timedelta(hours=24), max_per_run=5)
CHANNEL = -1001
ALICE, BOB, CAROL = 11, 12, 13
GROUP = -2001


async def _chats(db: Db) -> None:
    async with db.uow() as tx:
        await tx.chats.ensure_chat(CHANNEL, ChatKind.CHANNEL, "news", NOW)
        for user in (ALICE, BOB, CAROL):
            await tx.chats.ensure_chat(user, ChatKind.PRIVATE, None, NOW)
        await tx.chats.ensure_chat(GROUP, ChatKind.GROUP, "group", NOW)
        await tx.topics.ensure_topics(
            ["AI", "Natural Language Processing", "Computer Vision", "Machine Learning", "Robotics"]
        )


async def _recipients(db: Db, url: str) -> dict[int, DeliveryStatus]:
    async with db.uow() as tx:
        article = await tx.articles.article_by_url(url)
        assert article is not None
        found = {}
        for chat in (CHANNEL, ALICE, BOB, CAROL, GROUP):
            delivery = await tx.outbox.delivery(article.id, chat)
            if delivery is not None:
                found[chat] = delivery.status
        return found


async def test_follow_resolves_names_and_reports_what_changed(db: Db) -> None:
    await _chats(db)
    first = await subscriptions.follow(db.uow, ALICE, "#ComputerVision, nlp, mach", NOW)
    assert first.changed == ("Computer Vision", "Natural Language Processing", "Machine Learning")
    again = await subscriptions.follow(db.uow, ALICE, "computer vision, robotcs, zzz", NOW)
    assert again.changed == () and again.unchanged == ("Computer Vision",)
    assert [type(u) for u in again.unresolved] == [NoMatch, NoMatch]
    assert isinstance(again.unresolved[0], NoMatch)
    assert again.unresolved[0].suggestions == ("Robotics",)
    assert again.unresolved[1].suggestions == ()
    names = [t.name for t in await subscriptions.followed_topics(db.uow, ALICE)]
    assert sorted(names) == ["Computer Vision", "Machine Learning", "Natural Language Processing"]


async def test_ambiguous_and_unknown_names_create_nothing(db: Db) -> None:
    await _chats(db)
    async with db.uow() as tx:
        await tx.topics.ensure_topics(["Machine Vision"])
        before = len(await tx.topics.topic_summaries())
    changes = await subscriptions.follow(db.uow, ALICE, "mach, quantum", NOW)
    assert changes.changed == ()
    assert isinstance(changes.unresolved[0], Ambiguous)
    assert changes.unresolved[0].candidates == ("Machine Learning", "Machine Vision")
    async with db.uow() as tx:
        assert len(await tx.topics.topic_summaries()) == before
        assert await tx.subscriptions.followed_topic_ids(ALICE) == set()


async def test_unfollow_matches_among_the_chats_own_topics(db: Db) -> None:
    await _chats(db)
    async with db.uow() as tx:
        await tx.topics.ensure_topics(["Machine Vision"])
    await subscriptions.follow(db.uow, ALICE, "machine learning, ai", NOW)
    # "mach" is ambiguous among all topics, but ALICE follows only one of them
    changes = await subscriptions.unfollow(db.uow, ALICE, "mach, robotics", NOW)
    assert changes.changed == ("Machine Learning",)
    assert isinstance(changes.unresolved[0], NoMatch)
    assert [t.name for t in await subscriptions.followed_topics(db.uow, ALICE)] == ["AI"]


async def test_slug_toggle_stop_and_heat(db: Db) -> None:
    await _chats(db)
    assert await subscriptions.follow_slug(db.uow, ALICE, "nope", NOW) is None
    changes = await subscriptions.follow_slug(db.uow, ALICE, "natural-language-processing", NOW)
    assert changes is not None and changes.changed == ("Natural Language Processing",)
    topics, _ = await subscriptions.catalogue(db.uow, ALICE)
    ai = next(t.id for t in topics if t.name == "AI")
    assert await subscriptions.toggle(db.uow, ALICE, ai, NOW) == ("AI", True)
    assert await subscriptions.toggle(db.uow, ALICE, ai, NOW) == ("AI", False)
    assert await subscriptions.toggle(db.uow, ALICE, 10**6, NOW) is None

    assert await subscriptions.set_chat_min_heat(db.uow, ALICE, 150, 100, NOW) == 150
    assert await subscriptions.chat_min_heat(db.uow, ALICE) == 150
    assert await subscriptions.set_chat_min_heat(db.uow, ALICE, 80, 100, NOW) is None

    assert await subscriptions.stop(db.uow, ALICE, NOW) == 1
    async with db.uow() as tx:
        chat = await tx.chats.chat(ALICE)
        assert chat is not None and not chat.active
        assert await tx.subscriptions.followed_topic_ids(ALICE) == set()
    await subscriptions.remember_chat(db.uow, ALICE, ChatKind.PRIVATE, None, NOW)
    async with db.uow() as tx:
        chat = await tx.chats.chat(ALICE)
        assert chat is not None and chat.active


async def test_run_fans_out_once_per_chat_to_active_followers(db: Db, tmp_path: Path) -> None:
    await _chats(db)
    await subscriptions.follow(db.uow, ALICE, "ai, nlp", NOW)  # both topics of the article
    await subscriptions.follow(db.uow, BOB, "robotics", NOW)  # not a topic of it
    await subscriptions.follow(db.uow, CAROL, "ai", NOW)
    await subscriptions.follow(db.uow, GROUP, "nlp", NOW)
    await subscriptions.forget_chat(db.uow, CAROL, "bot was blocked by the user", NOW)
    async with db.uow() as tx:  # the channel's row is never a subscriber, whatever it follows
        await tx.subscriptions.subscribe(
            CHANNEL, [t.id for t in await tx.topics.topic_summaries()], NOW
        )
    write_article(tmp_path, "a.md", url="https://example.com/a", heat=150)

    report = await publish_run(db.uow, [tmp_path], RULES, CHANNEL)

    assert (report.enqueued, report.fanned_out) == (1, 2)
    assert await _recipients(db, "https://example.com/a") == {
        CHANNEL: DeliveryStatus.PENDING,
        ALICE: DeliveryStatus.PENDING,
        GROUP: DeliveryStatus.PENDING,
    }
    again = await publish_run(db.uow, [tmp_path], RULES, CHANNEL)
    assert (again.enqueued, again.fanned_out) == (0, 0)


async def test_subscribing_later_does_not_replay(db: Db, tmp_path: Path) -> None:
    await _chats(db)
    write_article(tmp_path, "a.md", url="https://example.com/a", heat=150)
    await publish_run(db.uow, [tmp_path], RULES, CHANNEL)
    await subscriptions.follow(db.uow, ALICE, "ai", NOW)
    write_article(tmp_path, "b.md", url="https://example.com/b", heat=150)
    await publish_run(db.uow, [tmp_path], RULES, CHANNEL)
    assert ALICE not in await _recipients(db, "https://example.com/a")
    assert ALICE in await _recipients(db, "https://example.com/b")


async def test_chat_threshold_applies_to_scheduled_fan_out(db: Db, tmp_path: Path) -> None:
    await _chats(db)
    await subscriptions.follow(db.uow, ALICE, "ai", NOW)
    await subscriptions.follow(db.uow, BOB, "ai", NOW)
    await subscriptions.set_chat_min_heat(db.uow, ALICE, 200, RULES.min_heat, NOW)
    write_article(tmp_path, "a.md", url="https://example.com/a", heat=150)
    await publish_run(db.uow, [tmp_path], RULES, CHANNEL)
    assert set(await _recipients(db, "https://example.com/a")) == {CHANNEL, BOB}


async def test_unfollowing_cancels_what_was_queued_for_that_topic_only(
    db: Db, tmp_path: Path
) -> None:
    await _chats(db)
    await subscriptions.follow(db.uow, ALICE, "ai, robotics", NOW)
    write_article(tmp_path, "a.md", url="https://example.com/a", heat=150, topics=("AI",))
    write_article(
        tmp_path, "b.md", url="https://example.com/b", heat=150, topics=("AI", "Robotics")
    )
    await publish_run(db.uow, [tmp_path], RULES, CHANNEL)
    await subscriptions.unfollow(db.uow, ALICE, "ai", NOW)
    assert (await _recipients(db, "https://example.com/a"))[ALICE] == DeliveryStatus.CANCELLED
    assert (await _recipients(db, "https://example.com/b"))[ALICE] == DeliveryStatus.PENDING


async def test_publish_now(db: Db, tmp_path: Path) -> None:
    await _chats(db)
    await subscriptions.follow(db.uow, ALICE, "ai", NOW)
    await subscriptions.set_chat_min_heat(db.uow, ALICE, 500, RULES.min_heat, NOW)
    old = NOW - timedelta(days=30)
    write_article(tmp_path, "a.md", url="https://example.com/cold", heat=5, published_at=old)
    await publish_run(db.uow, [tmp_path], RULES, CHANNEL)
    assert await _recipients(db, "https://example.com/cold") == {}  # too cold and too old

    unknown = await publish_now(db.uow, "https://example.com/none", CHANNEL, NOW)
    assert unknown == UnknownArticle("https://example.com/none")
    assert isinstance(await publish_now(db.uow, "not a url", CHANNEL, NOW), UnknownArticle)

    # tracking parameters and a trailing slash do not hide the stored article
    queued = await publish_now(db.uow, "https://EXAMPLE.com/cold/?utm_source=x", CHANNEL, NOW)
    assert isinstance(queued, Queued)
    assert (queued.to_channel, queued.again, queued.subscribers) == (True, False, 1)
    assert set(await _recipients(db, "https://example.com/cold")) == {CHANNEL, ALICE}

    pending = await publish_now(db.uow, "https://example.com/cold", CHANNEL, NOW)
    assert isinstance(pending, AlreadyPosted) and pending.status == DeliveryStatus.PENDING

    async with db.uow() as tx:
        (delivery,) = await tx.outbox.claim_due(NOW + timedelta(seconds=1), 1, [ALICE])
        await tx.outbox.mark_sent(delivery.id, 42, NOW)
    posted = await publish_now(db.uow, "https://example.com/cold", CHANNEL, NOW)
    assert isinstance(posted, AlreadyPosted) and posted.sent_at == NOW

    await subscriptions.follow(db.uow, BOB, "ai", NOW)
    forced = await publish_now(db.uow, "https://example.com/cold", CHANNEL, NOW, force=True)
    assert isinstance(forced, Queued)
    assert (forced.to_channel, forced.again, forced.subscribers) == (True, True, 1)  # BOB only
    recipients = await _recipients(db, "https://example.com/cold")
    assert recipients == {
        CHANNEL: DeliveryStatus.PENDING,
        ALICE: DeliveryStatus.PENDING,
        BOB: DeliveryStatus.PENDING,
    }
    async with db.uow() as tx:
        article = await tx.articles.article_by_url("https://example.com/cold")
        assert article is not None
        channel_row = await tx.outbox.delivery(article.id, CHANNEL)
        assert channel_row is not None and channel_row.sent_at is None
        assert channel_row.attempts == 0

    async with db.uow() as tx:
        await tx.deactivate_chat(CHANNEL, "bot was kicked", NOW)
    gone = await publish_now(db.uow, "https://example.com/cold", CHANNEL, NOW, force=True)
    assert isinstance(gone, ChannelUnavailable)


async def test_stats_figures(db: Db, tmp_path: Path) -> None:
    await _chats(db)
    await subscriptions.follow(db.uow, ALICE, "ai, nlp", NOW)
    await subscriptions.follow(db.uow, BOB, "ai", NOW)
    await subscriptions.forget_chat(db.uow, CAROL, "blocked", NOW)
    write_article(tmp_path, "a.md", url="https://example.com/a", heat=150)
    write_article(tmp_path, "b.md", url="https://example.com/b", heat=50)
    (tmp_path / "junk.md").write_bytes(b"\xff\xfe\x00junk")
    rules = PublishRules(min_heat=100, max_age=timedelta(hours=24), max_per_run=1)
    await publish_run(db.uow, [tmp_path], rules, CHANNEL)
    await set_paused(db.uow, True)
    async with db.uow() as tx:
        soon = datetime.now(UTC) + timedelta(seconds=5)
        for delivery in await tx.outbox.claim_due(soon, 10, [ALICE, BOB]):
            await tx.outbox.mark_sent(delivery.id, 1, NOW)

    stats = await gather_stats(db.uow, rules, CHANNEL, NOW)

    assert stats.paused
    assert (stats.articles, stats.eligible, stats.posted_today) == (2, 0, 1)
    assert len(stats.posts_per_day) == 14 and stats.posts_per_day[-1] == (NOW.date(), 1)
    assert stats.last_run_at is not None
    assert stats.last_ingest is not None and stats.last_ingest.new == 2
    assert [Path(p).name for p, _ in stats.skipped_files] == ["junk.md"]
    assert stats.subscribers == [("AI", 2), ("Natural Language Processing", 1)]
    # ALICE, BOB, GROUP are active; CAROL is not; the channel is no audience
    assert (stats.chats_active, stats.chats_inactive) == (3, 1)
    assert stats.deliveries[DeliveryStatus.PENDING] == 2
