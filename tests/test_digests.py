"""Digests (jobs.digests): which stories a digest lists (a table, pure), and the slot job on
real databases: a digest at its slot, hourly and daily in a non-UTC zone, once; nothing for an
empty period; a crash mid-assembly then the same slot again gives each chat one digest; and
the event loop's longest stall while thousands of digests are assembled."""

from __future__ import annotations

import asyncio
import gc
import itertools
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from jobs.digest_slots import Period
from jobs.digests import (
    Digest,
    PeriodStories,
    choose_digests,
    covered_until,
    digest_key,
    queue_digests,
)
from storage.digests import DigestSubscriber
from storage.records import (
    Article,
    ArticleData,
    ChatKind,
    DeliveryKind,
    DigestMode,
    Subscriber,
    topic_key,
)
from storage.state_keys import DIGEST_SLOTS_KEY
from tests.conftest import Db

CHANNEL = -100
SLOT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
HOUR = timedelta(hours=1)
_ids = itertools.count(1)


def article(
    title: str, heat: int | None, *, topics: tuple[str, ...] = ("AI",), excerpt: str = ""
) -> Article:
    return Article(
        id=next(_ids),
        url=f"https://example.com/{title}",
        link=f"https://example.com/{title}",
        title=title,
        excerpt=excerpt,
        source_name="Example",
        source_domain="example.com",
        image_url=None,
        heat=heat,
        published=True,
        published_at=SLOT - HOUR,
        topics=topics,
        first_seen_at=SLOT - HOUR,
        updated_at=SLOT - HOUR,
    )


def subscriber(chat_id: int, **settings: object) -> DigestSubscriber:
    topics = settings.pop("topics", ("AI",))
    assert isinstance(topics, tuple)
    sub = Subscriber(chat_id, True, None, frozenset(map(topic_key, topics)))
    return DigestSubscriber(replace(sub, **settings), DigestMode.HOURLY, 0, "UTC", None)  # type: ignore[arg-type]


def stories(*groups: tuple[datetime, list[Article]]) -> PeriodStories:
    return PeriodStories(
        {n: articles for n, (_, articles) in enumerate(groups)},
        {n: at for n, (at, _) in enumerate(groups)},
    )


def titles(digests: list[Digest]) -> dict[int, list[str]]:
    return {d.chat_id: [a.title for a in d.entries] for d in digests}


IN_PERIOD = SLOT - timedelta(minutes=30)


def test_a_digest_lists_what_fan_out_would_have_sent_hottest_first() -> None:
    crypto = article("crypto", 500, excerpt="about crypto")
    story = stories(
        (IN_PERIOD, [article("warm", 120)]),
        (IN_PERIOD, [article("hot", 300)]),
        (IN_PERIOD, [crypto]),
        (IN_PERIOD, [article("cold", 90)]),  # under the bot's minimum
        (IN_PERIOD, [article("lead", 150), article("same story, hotter", 250)]),
        (SLOT, [article("next period", 900)]),  # opened at the slot: the next digest's
        (SLOT - 2 * HOUR, [article("earlier period", 900)]),
        (IN_PERIOD, [article("robots only", 400, topics=("Robotics",))]),
    )
    page = [
        subscriber(1),
        subscriber(2, filters='["-crypto"]'),
        subscriber(3, min_heat=200),
        subscriber(4, paused_until=SLOT + HOUR),
        subscriber(5, topics=("Vision",)),  # nothing of its topics: no digest
        subscriber(CHANNEL),  # the channel has every post anyway
    ]
    got = choose_digests(page, story, SLOT - HOUR / 2, SLOT, channel_id=CHANNEL, min_heat=100)
    assert titles(got) == {
        1: ["crypto", "hot", "same story, hotter", "warm"],
        2: ["hot", "same story, hotter", "warm"],
        3: ["crypto", "hot", "same story, hotter"],
    }
    assert {d.period for d in got} == {Period(SLOT - HOUR, SLOT)}


def test_past_ten_stories_the_rest_are_counted() -> None:
    story = stories(*((IN_PERIOD, [article(f"n{h}", 100 + h)]) for h in range(13)))
    (digest,) = choose_digests(
        [subscriber(1)], story, SLOT - HOUR / 2, SLOT, channel_id=CHANNEL, min_heat=100
    )
    assert [a.heat for a in digest.entries] == list(range(112, 102, -1))
    assert digest.more == 3


def test_a_story_the_subscriber_has_a_post_of_is_not_listed() -> None:
    lead, later = article("lead", 150), article("another outlet's", 250)
    story = stories((IN_PERIOD, [lead, later]), (IN_PERIOD, [article("new", 120)]))
    got = choose_digests(
        [subscriber(1), subscriber(2)],
        story,
        SLOT - HOUR / 2,
        SLOT,
        channel_id=CHANNEL,
        min_heat=100,
        received={(1, 0, lead.id), (2, 5, lead.id)},  # chat 2 got it in another thread only
    )
    assert titles(got) == {1: ["new"], 2: ["another outlet's", "new"]}


def test_no_slot_since_the_last_time_no_digest() -> None:
    story = stories((IN_PERIOD, [article("hot", 300)]))
    assert (
        choose_digests(
            [subscriber(1)], story, SLOT, SLOT + HOUR / 2, channel_id=CHANNEL, min_heat=100
        )
        == []
    )


def test_a_period_starts_where_the_chats_last_digest_ended() -> None:
    """A chat whose digest covered up to 07:40 (it was on another schedule) gets, at 08:00,
    only the stories opened since; one whose digest covered the whole period gets none."""
    early, late = SLOT - timedelta(minutes=50), SLOT - timedelta(minutes=10)
    story = stories((early, [article("early", 200)]), (late, [article("late", 150)]))
    covered = covered_until(
        [
            (1, 0, digest_key(0, Period(SLOT - 2 * HOUR, SLOT - timedelta(minutes=20)))),
            (2, 0, digest_key(0, Period(SLOT - HOUR, SLOT))),
            (3, 0, "digest:not a time"),  # nothing known: the whole period
        ]
    )
    got = choose_digests(
        [subscriber(1), subscriber(2), subscriber(3)],
        story,
        SLOT - HOUR / 2,
        SLOT,
        channel_id=CHANNEL,
        min_heat=100,
        covered=covered,
    )
    assert titles(got) == {1: ["late"], 3: ["early", "late"]}


# -- the slot job on a database ------------------------------------------------------------


async def add_story(db: Db, title: str, heat: int, opened_at: datetime, topic: str = "AI") -> None:
    async with db.uow() as tx:
        article_id = await tx.articles.add_article(
            ArticleData(
                url=f"https://example.com/{title}",
                link=f"https://example.com/{title}",
                title=title,
                heat=heat,
                topics=(topic,),
                source_name="Example",
                published_at=opened_at,
            ),
            source_path=f"/{title}.md",
            source_mtime_ns=1,
            now=opened_at,
        )
        await tx.stories.open_story(article_id, "", opened_at)


async def add_digest_chat(
    db: Db, chat_id: int, mode: DigestMode, *, topic: str = "AI", **settings: object
) -> None:
    now = SLOT - 10 * HOUR
    async with db.uow() as tx:
        await tx.chats.ensure_chat(chat_id, ChatKind.PRIVATE, None, now)
        (topic_id,) = await tx.topics.ensure_topics([topic])
        await tx.subscriptions.subscribe(chat_id, [topic_id], now)
        await tx.settings.change(chat_id, 0, now, digest=mode.value, **settings)


def text_of(digest: Digest) -> str:
    return f"{digest.schedule.mode}:" + "|".join(a.title for a in digest.entries)


async def slot_job(db: Db, at: datetime, render: object = text_of, page_size: int = 500) -> int:
    return await queue_digests(
        db.uow,
        render,  # type: ignore[arg-type]
        channel_id=CHANNEL,
        min_heat=100,
        clock=lambda: at,
        page_size=page_size,
    )


async def digest_rows(db: Db) -> list[tuple[int, str | None, str | None]]:
    async with db.uow() as tx:
        found = []
        for chat_id in range(1, 50):
            found += [
                (d.chat_id, d.alert_key, d.body)
                for d in await tx.outbox.deliveries_for(chat_id)
                if d.kind is DeliveryKind.ALERT
            ]
    return found


async def test_hourly_and_daily_in_berlin_each_at_its_slot_once(db: Db) -> None:
    await add_digest_chat(db, 1, DigestMode.HOURLY)
    await add_digest_chat(db, 2, DigestMode.DAILY, digest_minute=9 * 60, timezone="Europe/Berlin")
    await add_digest_chat(db, 3, DigestMode.DAILY, digest_minute=8 * 60, timezone="Europe/Berlin")
    await add_story(db, "yesterday", 200, SLOT - 20 * HOUR)
    await add_story(db, "warm", 150, SLOT - timedelta(minutes=50))
    await add_story(db, "hot", 300, SLOT - timedelta(minutes=10))
    await add_story(db, "too cold", 50, SLOT - timedelta(minutes=5))

    assert await slot_job(db, SLOT - timedelta(minutes=1)) == 0  # the first run starts the clock
    assert await slot_job(db, SLOT + timedelta(seconds=30)) == 2
    assert sorted(await digest_rows(db)) == [
        (1, "digest:0:2026-12-01T08:00Z", "hourly:hot|warm"),
        (2, "digest:0:2026-12-01T08:00Z", "daily:hot|yesterday|warm"),
    ]
    assert await slot_job(db, SLOT + timedelta(minutes=1)) == 0  # no slot since
    # 08:00 Berlin is 07:00 UTC next day; the hour slots meanwhile find nothing new for chat 1
    assert await slot_job(db, SLOT + 23 * HOUR + timedelta(seconds=5)) == 1
    rows = await digest_rows(db)
    assert (3, "digest:0:2026-12-02T07:00Z", "daily:hot|warm") in rows
    assert Counter(chat for chat, _, _ in rows) == {1: 1, 2: 1, 3: 1}


async def test_with_no_digest_chat_the_clock_moves_on_without_waiting_for_a_run(db: Db) -> None:
    await add_story(db, "hot", 300, SLOT - timedelta(minutes=10))
    running = asyncio.Lock()
    await running.acquire()  # a publishing run holds the run lock all along

    async def tick(at: datetime) -> int:
        async with asyncio.timeout(5):  # before: the job waited for the run to end
            return await queue_digests(
                db.uow, text_of, channel_id=CHANNEL, min_heat=100, clock=lambda: at, lock=running
            )

    assert await tick(SLOT - timedelta(minutes=1)) == 0
    assert await tick(SLOT + timedelta(seconds=30)) == 0
    async with db.uow() as tx:
        assert await tx.state.get(DIGEST_SLOTS_KEY) == (SLOT + timedelta(seconds=30)).isoformat()
    running.release()
    await add_digest_chat(db, 1, DigestMode.HOURLY)  # from now on the stories are read
    assert await slot_job(db, SLOT + HOUR + timedelta(seconds=5)) == 0  # nothing new since 08:00
    await add_story(db, "later", 300, SLOT + HOUR + timedelta(minutes=10))
    assert await slot_job(db, SLOT + 2 * HOUR) == 1


async def test_nothing_is_sent_for_an_empty_period(db: Db) -> None:
    await add_digest_chat(db, 1, DigestMode.HOURLY)
    await add_digest_chat(db, 2, DigestMode.HOURLY, topic="Robotics")
    await add_story(db, "robots, two hours ago", 300, SLOT - 2 * HOUR, topic="Robotics")
    await add_story(db, "ai", 300, SLOT - HOUR / 2)
    await slot_job(db, SLOT - timedelta(minutes=1))
    assert await slot_job(db, SLOT) == 1
    assert [chat for chat, _, _ in await digest_rows(db)] == [1]


async def test_a_crash_mid_assembly_then_the_same_slot_again_gives_each_chat_one_digest(
    db: Db,
) -> None:
    for chat_id in range(1, 8):
        await add_digest_chat(db, chat_id, DigestMode.HOURLY)
    await add_story(db, "hot", 300, SLOT - HOUR / 2)
    await slot_job(db, SLOT - timedelta(minutes=1))
    rendered = 0

    def dies_at_the_fifth(digest: Digest) -> str:
        nonlocal rendered
        rendered += 1
        if rendered == 5:
            raise RuntimeError("the process dies here")
        return text_of(digest)

    with pytest.raises(RuntimeError):
        await slot_job(db, SLOT + timedelta(seconds=5), dies_at_the_fifth, page_size=2)
    assert len(await digest_rows(db)) == 4  # two pages committed, the third rolled back
    async with db.uow() as tx:
        assert await tx.state.get(DIGEST_SLOTS_KEY) == (SLOT - timedelta(minutes=1)).isoformat()

    assert await slot_job(db, SLOT + timedelta(seconds=40), page_size=2) == 3
    rows = await digest_rows(db)
    assert sorted(chat for chat, _, _ in rows) == list(range(1, 8))
    assert {key for _, key, _ in rows} == {"digest:0:2026-12-01T08:00Z"}
    assert await slot_job(db, SLOT + timedelta(seconds=50), page_size=2) == 0


# -- the event loop during a large slot ----------------------------------------------------

STALL_CHATS = 20_000
STALL_LIMIT = 0.05  # seconds the loop may be held at a time


async def test_a_large_slot_never_holds_the_event_loop_long(db: Db) -> None:
    from bench.scheduled_seeding import Shares, seed

    now = SLOT - timedelta(minutes=5)
    # 90 % daily digests at the slot, the rest with keyword filters; 600 articles (two days)
    await asyncio.to_thread(
        seed, db.url, 600, STALL_CHATS, now, Shares(0.1, 0.9, SLOT.hour * 60 + SLOT.minute)
    )
    async with db.uow() as tx:
        for article_id in range(600 - 40, 601):  # the last 40 articles each open a story
            await tx.stories.open_story(article_id, "", now - timedelta(minutes=article_id % 600))
        await tx.state.set(DIGEST_SLOTS_KEY, now.isoformat())

    from bot.digests import digest_text
    from bot.formatting.digest import DigestLine

    # Each gap between two turns of the ticker, in the loop thread's own CPU time (what the
    # slot job held the loop for) and in wall time (that, plus whatever else the shared
    # machine ran meanwhile: printed, not asserted).
    gaps: list[tuple[float, float]] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            cpu, wall = time.thread_time(), time.perf_counter()
            await asyncio.sleep(0.002)
            gaps.append((time.thread_time() - cpu, time.perf_counter() - wall))

    lines: dict[tuple[int, str], DigestLine] = {}
    # The job runs every minute: the minute before the slot has run the same statements, so
    # the slot finds them compiled (a statement's first compile, once per process, held the
    # loop for 25-70 ms on the shared machine).
    before = await queue_digests(
        db.uow,
        lambda d: digest_text(d, "en", lines),
        channel_id=-1001234567890,
        min_heat=100,
        clock=lambda: SLOT - timedelta(minutes=1),
    )
    assert before == 0
    gc.freeze()  # as bot.app does once started: a full collection scans only what came since
    ticking = asyncio.create_task(ticker())
    start = time.perf_counter()
    queued = await queue_digests(
        db.uow,
        lambda d: digest_text(d, "en", lines),  # as bot.digests.renderer: lines made once
        channel_id=-1001234567890,
        min_heat=100,
        clock=lambda: SLOT + timedelta(seconds=1),
    )
    elapsed = time.perf_counter() - start
    done.set()
    await ticking
    gc.unfreeze()
    assert queued > STALL_CHATS * 0.8
    longest = max(cpu for cpu, _ in gaps)
    wall = max(w for _, w in gaps)
    print(
        f"{queued} digests in {elapsed:.2f} s; longest stall {longest * 1000:.1f} ms CPU, "
        f"{wall * 1000:.1f} ms wall"
    )
    assert longest < STALL_LIMIT, f"the loop was held for {longest * 1000:.0f} ms"
