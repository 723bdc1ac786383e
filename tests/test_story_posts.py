"""One post per story, and edits of it, end to end: real article files, publish_run, the
delivery worker with the real python-telegram-bot Bot and TelegramSender, the fake Bot API over
HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.sender import TelegramSender
from jobs import subscriptions
from jobs.backoff import Backoff
from jobs.delivery import DeliveryWorker, RetryPolicy
from jobs.pacing import Pacer
from jobs.publishing import RunReport, publish_run
from jobs.selection import PublishRules
from jobs.send_gate import SendGate
from storage.records import ChatKind, Delivery, DeliveryKind, DeliveryStatus
from storage.tables import DeliveryRow
from tests.article_factory import write_article
from tests.conftest import Db
from tests.fake_telegram.objects import Message
from tests.fake_telegram.server import FakeTelegram

NOW = datetime.now(UTC)
RULES = PublishRules(min_heat=100, max_age=timedelta(hours=24), max_per_run=5)
CHANNEL = -1001
ALICE, BOB = 11, 12
FINAL = {DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.CANCELLED}
GROUP_INTERVAL = 0.3  # the pacer's gap between two messages to the channel, shortened for tests

LEAK = "Misconfigured low-code portals leave 41 million customer records open to anyone"
LEAK_AGAIN = "Low-code portal misconfiguration exposes 41 million records"
REPORT_SAYS = LEAK + ", report says"
PHOTO, NEW_PHOTO = "https://img.example/1.jpg", "https://img.example/2.jpg"


@dataclass
class Rig:
    db: Db
    fake: FakeTelegram
    bot: Bot
    folder: Path
    start_worker: Callable[[], Awaitable[DeliveryWorker]]
    stop_worker: Callable[[], Awaitable[None]]

    async def run(self) -> RunReport:
        return await publish_run(self.db.uow, [self.folder], RULES, CHANNEL)

    async def rows(self, chat: int) -> list[Delivery]:
        async with self.db.uow() as tx:
            return await tx.outbox.deliveries_for(chat)

    async def settled(self, chat: int, count: int) -> list[Delivery]:
        async with asyncio.timeout(15):
            while True:
                rows = await self.rows(chat)
                if len(rows) == count and all(d.status in FINAL for d in rows):
                    return rows
                await asyncio.sleep(0.02)  # a database row has no event to wait on

    def channel_post(self) -> Message:
        (message,) = self.fake.messages(CHANNEL)
        return message


def _write(folder: Path, name: str, title: str, domain: str, **fields: object) -> None:
    write_article(
        folder,
        name,
        url=f"https://{domain}/{name.removesuffix('.md')}",
        title=title,
        domain=domain,
        provider=domain.split(".")[0].title(),
        published_at=NOW - timedelta(hours=1),
        topics=fields.pop("topics", ("AI",)),
        **fields,
    )


@pytest.fixture
async def rig(db: Db, fake_telegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[Rig]:
    fake_telegram.add_chat(CHANNEL, "channel", title="news")
    fake_telegram.add_chat(ALICE)
    fake_telegram.add_chat(BOB)
    async with db.uow() as tx:
        await tx.chats.ensure_chat(CHANNEL, ChatKind.CHANNEL, "news", NOW)
        for user in (ALICE, BOB):
            await tx.chats.ensure_chat(user, ChatKind.PRIVATE, None, NOW)
        await tx.topics.ensure_topics(["AI", "Robotics"])
    request = HTTPXRequest(read_timeout=2.0, connect_timeout=2.0)
    bot = Bot(fake_telegram.token, base_url=fake_telegram.base_url, request=request)
    await bot.initialize()
    running: list[tuple[DeliveryWorker, asyncio.Task[None]]] = []

    async def start() -> DeliveryWorker:
        async with db.uow() as tx:
            await tx.outbox.release_in_flight()  # what a fresh process does first
        worker = DeliveryWorker(
            db.uow,
            TelegramSender(bot),
            SendGate(Pacer(cap=30, group_interval=GROUP_INTERVAL)),
            retry=RetryPolicy(max_attempts=3, backoff=Backoff(base=0.05, cap=0.2)),
            idle_poll=0.1,
        )
        running.append((worker, asyncio.create_task(worker.run())))
        return worker

    async def stop() -> None:
        while running:
            worker, task = running.pop()
            await worker.stop()
            await task

    try:
        yield Rig(db, fake_telegram, bot, tmp_path, start, stop)
    finally:
        await stop()
        await bot.shutdown()


def _edits(fake: FakeTelegram) -> list[str]:
    return [
        call.method
        for call in fake.calls
        if call.method in ("editMessageText", "editMessageCaption", "editMessageMedia")
        and call.chat_id == CHANNEL
    ]


async def test_a_second_outlet_is_added_to_the_post_by_an_edit(rig: Rig) -> None:
    await subscriptions.follow(rig.db.uow, ALICE, "ai", NOW)
    await subscriptions.follow(rig.db.uow, BOB, "robotics", NOW)
    _write(rig.folder, "leak.md", LEAK, "securitydaily.example", image="https://img.example/1.jpg")
    await rig.start_worker()
    first = await rig.run()
    assert (first.enqueued, first.merged, first.edits) == (1, 0, 0)
    await rig.settled(CHANNEL, 1)

    _write(rig.folder, "again.md", LEAK_AGAIN, "techwire.example", topics=("AI", "Robotics"))
    second = await rig.run()
    assert (second.enqueued, second.merged, second.edits) == (0, 1, 1)
    rows = await rig.settled(CHANNEL, 2)
    assert [(r.kind, r.status) for r in rows] == [
        (DeliveryKind.POST, DeliveryStatus.SENT),
        (DeliveryKind.EDIT, DeliveryStatus.SENT),
    ]
    # one post in the channel, its caption edited to name the second outlet, with its link
    assert len(rig.fake.sent(CHANNEL)) == 1
    assert _edits(rig.fake) == ["editMessageCaption"]
    post = rig.channel_post()
    assert post.kind == "photo" and post.edit_date is not None
    assert "Also: Techwire" in post.text
    assert any(e.url == "https://techwire.example/again" for e in post.entities)
    # Alice had the story: not again; Bob follows only the second article's topic: he gets it
    await rig.settled(ALICE, 1)
    await rig.settled(BOB, 1)
    assert len(rig.fake.sent(ALICE)) == 1 and LEAK in (rig.fake.sent(ALICE)[0].text or "")
    assert LEAK_AGAIN in (rig.fake.sent(BOB)[0].text or "")

    third = await rig.run()  # nothing changed: nothing queued
    assert (third.enqueued, third.merged, third.edits) == (0, 0, 0)


async def test_a_title_rewritten_at_the_source_edits_the_post_heat_alone_does_not(
    rig: Rig,
) -> None:
    _write(rig.folder, "a.md", LEAK, "securitydaily.example", heat=150, image=None)
    await rig.start_worker()
    await rig.run()
    await rig.settled(CHANNEL, 1)
    post = rig.channel_post()
    assert post.kind == "text" and post.text.startswith(LEAK)

    _write(rig.folder, "a.md", LEAK, "securitydaily.example", heat=190, image=None)
    assert (await rig.run()).edits == 0  # heat only: the post keeps its numbers
    _write(
        rig.folder, "a.md", LEAK + ", report says", "securitydaily.example", heat=190, image=None
    )
    assert (await rig.run()).edits == 1
    await rig.settled(CHANNEL, 2)
    assert _edits(rig.fake) == ["editMessageText"]
    assert rig.channel_post().text.startswith(LEAK + ", report says")


async def test_not_modified_and_not_found_end_the_edit(rig: Rig) -> None:
    _write(rig.folder, "a.md", LEAK, "securitydaily.example", image=None)
    await rig.start_worker()
    await rig.run()
    (post,) = await rig.settled(CHANNEL, 1)
    # An edit whose content the post already shows (say, queued again by hand): Telegram answers
    # "message is not modified", and the row is done, not retried.
    async with rig.db.uow() as tx:
        await tx.outbox.enqueue_edit(post.article_id, CHANNEL, 1, datetime.now(UTC))
    rig.fake.clear_calls()
    rows = await rig.settled(CHANNEL, 2)
    assert rows[1].status is DeliveryStatus.SENT and rows[1].attempts == 1
    (refused,) = rig.fake.calls_of("editMessageText")
    assert refused.error_code == 400 and "not modified" in (refused.description or "")

    # The post deleted from the channel: the edit fails once, for good.
    assert post.message_id is not None
    await rig.bot.delete_message(CHANNEL, post.message_id)
    _write(rig.folder, "a.md", LEAK + "!", "securitydaily.example", image=None)
    assert (await rig.run()).edits == 1
    rows = await rig.settled(CHANNEL, 3)
    assert rows[2].status is DeliveryStatus.FAILED and rows[2].attempts == 1
    assert "message to edit not found" in (rows[2].last_error or "").casefold()
    assert len(rig.fake.calls_of("editMessageText")) == 2


async def test_a_restart_between_enqueue_and_send_neither_skips_nor_doubles_an_edit(
    rig: Rig,
) -> None:
    _write(rig.folder, "a.md", LEAK, "securitydaily.example")
    await rig.start_worker()
    await rig.run()
    await rig.settled(CHANNEL, 1)
    await rig.stop_worker()  # the process stops with the edit queued, not sent

    _write(rig.folder, "b.md", LEAK_AGAIN, "techwire.example")
    assert (await rig.run()).edits == 1
    assert (await rig.run()).edits == 0  # the run after the restart: already queued
    await rig.start_worker()
    rows = await rig.settled(CHANNEL, 2)
    assert rows[1].kind is DeliveryKind.EDIT and rows[1].status is DeliveryStatus.SENT
    assert _edits(rig.fake) == ["editMessageCaption"]
    assert "Also: Techwire" in rig.channel_post().text


async def test_an_edit_takes_its_turn_like_a_message(rig: Rig) -> None:
    """Post and edit in one run's wake: the edit waits for the post, then for the channel's
    interval, as a second message would."""
    _write(rig.folder, "a.md", LEAK, "securitydaily.example")
    await rig.run()
    _write(rig.folder, "b.md", LEAK_AGAIN, "techwire.example")
    # queued before the post was sent: the run cannot know what the post will show
    assert (await rig.run()).edits == 1
    await rig.start_worker()
    rows = await rig.settled(CHANNEL, 2)
    assert [r.status for r in rows] == [DeliveryStatus.SENT, DeliveryStatus.SENT]
    assert "Also: Techwire" in rig.channel_post().text
    (sent,) = rig.fake.sent(CHANNEL)
    (edit,) = [c for c in rig.fake.calls if c.method == "editMessageCaption"]
    assert edit.time - sent.time >= GROUP_INTERVAL * 0.9


async def _posted(rig: Rig, image: str | None) -> None:
    _write(rig.folder, "a.md", LEAK, "securitydaily.example", image=image)
    await rig.start_worker()
    await rig.run()
    await rig.settled(CHANNEL, 1)


async def _rewritten(rig: Rig, title: str, image: str | None, rows: int) -> Message:
    """The source rewrites the title (and the image): one edit, sent; the post after it."""
    _write(rig.folder, "a.md", title, "securitydaily.example", image=image)
    assert (await rig.run()).edits == 1
    assert (await rig.settled(CHANNEL, rows))[-1].status is DeliveryStatus.SENT
    return rig.channel_post()


async def test_an_edit_shows_the_articles_new_photo_and_fetches_an_unchanged_one_never(
    rig: Rig,
) -> None:
    await _posted(rig, PHOTO)
    post = await _rewritten(rig, REPORT_SAYS, NEW_PHOTO, rows=2)
    assert _edits(rig.fake) == ["editMessageMedia"]
    assert (post.kind, post.photo_source) == ("photo", NEW_PHOTO)
    assert post.text.startswith(REPORT_SAYS) and post.reply_markup is not None
    # what the post shows now is kept across a restart: the next edit, with the photo as it
    # is, changes the caption alone (a photo sent again by URL is fetched again)
    await rig.stop_worker()
    await rig.start_worker()
    post = await _rewritten(rig, LEAK + ", a report says", NEW_PHOTO, rows=3)
    assert _edits(rig.fake) == ["editMessageMedia", "editMessageCaption"]
    assert post.photo_source == NEW_PHOTO and post.text.startswith(LEAK + ", a report says")


async def test_a_new_photo_telegram_refuses_leaves_the_old_one_and_edits_the_caption(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    await _posted(rig, PHOTO)
    rig.fake.break_photo_url(NEW_PHOTO, "Bad Request: failed to get HTTP URL content")
    with caplog.at_level(logging.INFO, logger="bot.sender"):
        post = await _rewritten(rig, REPORT_SAYS, NEW_PHOTO, rows=2)
    assert _edits(rig.fake) == ["editMessageMedia", "editMessageCaption"]
    assert post.photo_source == PHOTO and post.text.startswith(REPORT_SAYS)
    (line,) = [r.getMessage() for r in caplog.records if r.name == "bot.sender"]
    assert "failed to get http url content" in line.casefold()


async def test_a_text_post_stays_text_when_its_article_gains_a_photo(rig: Rig) -> None:
    await _posted(rig, None)
    post = await _rewritten(rig, REPORT_SAYS, PHOTO, rows=2)
    assert "editMessageMedia" not in _edits(rig.fake)
    assert post.kind == "text" and post.text.startswith(REPORT_SAYS)


async def test_a_photo_post_whose_image_no_longer_qualifies_keeps_its_photo(rig: Rig) -> None:
    await _posted(rig, PHOTO)
    post = await _rewritten(rig, REPORT_SAYS, "ftp://img.example/3.jpg", rows=2)
    # known to show a photo: its caption is edited (the text form's parts in a caption)
    assert _edits(rig.fake) == ["editMessageCaption"]
    assert (post.kind, post.photo_source) == ("photo", PHOTO)
    assert post.text.startswith(REPORT_SAYS)


@pytest.mark.parametrize(
    ("image", "edits"),
    [
        (NEW_PHOTO, ["editMessageCaption"]),
        ("ftp://img.example/3.jpg", ["editMessageText", "editMessageCaption"]),
    ],
)
async def test_a_post_sent_before_photos_were_kept_is_edited_as_before(
    rig: Rig, image: str, edits: list[str]
) -> None:
    await _posted(rig, PHOTO)
    async with rig.db.uow() as tx:  # what a post sent by an older version has: no photo kept
        await tx.outbox.session.execute(update(DeliveryRow).values(photo=None))
    post = await _rewritten(rig, REPORT_SAYS, image, rows=2)
    # the photo it shows is not known: it stays; the form the article would be posted in now
    # is tried first, and Telegram's "there is no text in the message to edit" has the
    # caption edited
    assert _edits(rig.fake) == edits
    assert (post.kind, post.photo_source) == ("photo", PHOTO)
    assert post.text.startswith(REPORT_SAYS)


async def test_a_photo_that_turned_generic_gives_way_to_the_articles_own_next_image(
    rig: Rig,
) -> None:
    images = [{"url": u, "width": 1200, "height": 630} for u in (PHOTO, NEW_PHOTO)]
    _write(rig.folder, "a.md", LEAK, "securitydaily.example", image=None, images=images)
    await rig.start_worker()
    await rig.run()
    await rig.settled(CHANNEL, 1)
    assert rig.channel_post().photo_source == PHOTO
    for n in (1, 2):  # two more articles (too cool to post) share it: a site's default image
        _write(rig.folder, f"o{n}.md", f"Other news {n}", f"o{n}.example", heat=10, image=PHOTO)
    _write(rig.folder, "a.md", REPORT_SAYS, "securitydaily.example", image=None, images=images)
    assert (await rig.run()).edits == 1
    await rig.settled(CHANNEL, 2)
    assert _edits(rig.fake) == ["editMessageMedia"]
    assert rig.channel_post().photo_source == NEW_PHOTO
