"""End to end, what a reader of the channel gets (issue 12, items 4, 6, 7, 8): article files run
through the real ingest, selection and outbox, the real delivery worker and TelegramSender, the
real python-telegram-bot Bot, to the fake Bot API over HTTP; the assertions read the messages
as the fake recorded them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from telegram.request import HTTPXRequest

from jobs.delivery import DeliveryWorker
from jobs.publishing import publish_run
from jobs.selection import PublishRules
from storage.records import ChatKind, DeliveryStatus
from tests.conftest import Db
from tests.delivery_rig import settled, telegram_worker
from tests.fake_telegram.objects import Message
from tests.fake_telegram.server import FakeTelegram

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
CHANNEL = -1001234
RULES = PublishRules(min_heat=70, max_age=timedelta(hours=24), max_per_run=10)

# Written for this test, in the shape of the corpus's video items (no webUrl, a YouTube
# originalUrl, the video's thumbnail as its image) and of a press release whose provider is
# another outlet.
VIDEO = """---
title: "Portals | release wave overview"
excerpt: "In this overview video, we highlight what is new in portals ..."
publishedDateTime: 2026-11-26T10:00:00Z
originalUrl: "https://youtube.com/watch?v=Zx9Qw1Er2Ty"
type: video
heat: 150
published: true
provider:
  name: Example Corp
  domain: example.com
topics:
  - Portals
images:
  - url: "https://i.ytimg.example/vi/Zx9Qw1Er2Ty/maxresdefault.jpg"
    width: 1280
    height: 720
---
"""
PRESS_RELEASE = """---
title: "Robot maker expands its factory apps"
excerpt: "InvestorPlace - Stock Market News, Stock Advice & Trading Tips A robot maker said it
  will expand ... and hire. Learn more about GamesBeat Summit sponsorship opportunities here.
  It describes"
publishedDateTime: 2026-11-26T09:00:00Z
webUrl: "https://www.benzinga.com/pressreleases/26/11/n42/robot-maker?utm_source=feed&module=lead\
&pgtype=hp"
heat: 120
published: true
provider:
  name: TMCnet
  domain: tmcnet.com
topics:
  - AI
---
"""


@pytest.fixture
async def worker(db: Db, fake_telegram: FakeTelegram) -> AsyncIterator[DeliveryWorker]:
    request = HTTPXRequest(read_timeout=2.0, connect_timeout=2.0)
    async with telegram_worker(db, fake_telegram, request, max_attempts=2) as worker:
        yield worker


async def test_videos_play_inline_and_links_lead_to_the_clean_address(
    db: Db, fake_telegram: FakeTelegram, worker: DeliveryWorker, tmp_path: Path
) -> None:
    (tmp_path / "2026-11-26-portals-video.md").write_text(VIDEO, encoding="utf-8")
    (tmp_path / "2026-11-26-robot-maker.md").write_text(PRESS_RELEASE, encoding="utf-8")
    fake_telegram.add_chat(CHANNEL, "channel")
    async with db.uow() as tx:
        await tx.chats.ensure_chat(CHANNEL, ChatKind.CHANNEL, "News", NOW)

    report = await publish_run(db.uow, [tmp_path], RULES, CHANNEL, clock=lambda: NOW)
    assert report.enqueued == 2
    worker.wake()
    assert {d.status for d in await settled(db, CHANNEL, 2)} == {DeliveryStatus.SENT}

    assert fake_telegram.calls_of("sendPhoto") == []  # the video's thumbnail is no photo
    video, release = fake_telegram.messages(CHANNEL)  # hottest first

    youtube = "https://youtube.com/watch?v=Zx9Qw1Er2Ty"
    assert video.kind == "text"
    assert video.text.startswith("▶️ Portals | release wave overview")
    assert video.link_preview_options == {"url": youtube, "prefer_large_media": True}
    assert _buttons(video) == [("▶️ Watch", youtube)]

    clean = "https://www.benzinga.com/pressreleases/26/11/n42/robot-maker"
    assert release.link_preview_options == {"url": clean, "prefer_large_media": True}
    assert _buttons(release) == [("Read", clean)]
    assert [e.url for e in release.entities if e.type == "text_link"] == [clean]
    excerpt, footer = release.text.split("\n\n")[1:]
    assert excerpt == "A robot maker said it will expand… and hire. It describes…"
    assert footer.startswith("benzinga.com · 🔥 120")


def _buttons(message: Message) -> list[tuple[str, str]]:
    markup = message.reply_markup or {}
    return [(b["text"], b["url"]) for row in markup.get("inline_keyboard", []) for b in row]
