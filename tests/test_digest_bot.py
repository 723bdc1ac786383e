"""End to end (issue 13 item 4): /digest, /timezone and the Digest row of /settings, then the
digest slot (bot.digests) with a controllable clock: the real Application against the fake Bot
API, the delivery worker sending. Hourly in a private chat, a forum thread and a filtering
chat, daily in Asia/Kolkata; "… and N more"; nothing for an empty period; a rebuilt
Application at the same slot sends nothing again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from bot.config import Config
from bot.digests import run_digest_slot
from storage.state_keys import DIGEST_SLOTS_KEY
from storage.tables import StoryRow
from tests.article_factory import write_article
from tests.bot_process import CHANNEL_ID
from tests.commands.rig import bot_messages, press
from tests.conftest import on_both_databases
from tests.fake_telegram.calls import Call
from tests.fake_telegram.server import FakeTelegram
from tests.live_bot import ADMIN, LiveBot, add_channel, bot_config, live_bot

USER, FILTERING, KOLKATA, ROBOTS = 1001, 1002, 1003, 1004
FORUM, THREAD = -1_000_000_000_301, 7
TOPICS = ["AI", "Robotics"]
# distinct enough that no two are one story (jobs.stories)
HEADLINES = [
    "Lunar lander touches down",
    "Chipmaker doubles output",
    "Parliament passes privacy law",
    "Hospital trials sepsis alarm",
    "Startup raises seed round",
    "Translation app adds dialects",
    "Weather model beats forecasters",
    "Court rules on scraping",
    "Museum restores frescoes",
    "Drone delivers vaccines",
    "Quantum error rates fall",
    "Crypto exchange halts withdrawals",
]


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram(enforce_rate_limits=False) as running:
        add_channel(running)
        for user_id in (ADMIN, USER, FILTERING, KOLKATA, ROBOTS):
            running.add_chat(user_id)
        running.add_chat(FORUM, "supergroup", title="Forum", admins=(USER,), is_forum=True)
        running.set_thread(FORUM, THREAD)
        yield running
    assert running.internal_errors == []


def config(fake: FakeTelegram, tmp_path: Path, url: str) -> Config:
    publish = {"min_heat": 100, "max_age_hours": 24, "max_per_run": 20}
    return bot_config(tmp_path, fake, topics=TOPICS, database={"url": url}, publish=publish)


def digests(fake: FakeTelegram, chat_id: int) -> list[Call]:
    return [
        c
        for c in fake.sent(chat_id)
        if c.method == "sendMessage" and (c.text or "").startswith("🗞")
    ]


async def slot_at(bot: LiveBot, slot: datetime) -> int:
    """The slot job as the JobQueue runs it, its clock just past `slot`, the job's last run
    a minute before it."""
    async with bot.svc.uow() as tx:
        await tx.state.set(DIGEST_SLOTS_KEY, (slot - timedelta(minutes=1)).isoformat())
    return await run_digest_slot(bot.svc, lambda: slot + timedelta(seconds=5))


def this_hour() -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


async def backdate_stories(bot: LiveBot, at: datetime) -> None:
    """As if the run had opened its stories at `at`: the slot is then in the past, and the
    digests it queues are due at once."""
    async with bot.svc.uow() as tx:
        await tx.stories.session.execute(update(StoryRow).values(opened_at=at))


async def choose(bot: LiveBot, chat_id: int, *commands: str, **kwargs: Any) -> list[str]:
    return [await bot.ask(chat_id, USER if chat_id < 0 else chat_id, c, **kwargs) for c in commands]


@on_both_databases
async def test_digests_at_their_slot_once_and_not_again_after_a_restart(
    fake: FakeTelegram, tmp_path: Path, bot_database_url: str
) -> None:
    slot = this_hour()
    local = slot + timedelta(hours=5, minutes=30)  # Asia/Kolkata has no daylight saving
    async with live_bot(fake, config(fake, tmp_path, bot_database_url)) as bot:
        hourly = (await choose(bot, USER, "/topic ai", "/digest hourly"))[1]
        assert "hourly digest" in hourly
        await choose(bot, FILTERING, "/topic ai", "/filter -crypto", "/digest hourly")
        answers = await choose(
            bot, KOLKATA, "/topic ai", "/timezone asia/kolkata", f"/digest daily {local:%H:%M}"
        )
        assert "Asia/Kolkata" in answers[1]
        assert f"daily digest at {local:%H:%M} (Asia/Kolkata)" in answers[2]
        await choose(bot, ROBOTS, "/topic robotics", "/digest hourly")
        forum = dict(chat_type="supergroup", thread_id=THREAD)
        await choose(bot, FORUM, "/topic ai", "/digest hourly", **forum)

        for heat, title in enumerate(HEADLINES, 101):
            write_article(
                tmp_path / "articles",
                f"{heat}.md",
                url=f"https://example.com/{heat}",
                title=title,
                heat=heat,
                topics=("AI",),
            )
        await bot.run_publishing()
        async with bot.svc.uow() as tx:  # the channel's 12 posts are queued, no one else's
            assert len(await tx.outbox.deliveries_for(CHANNEL_ID)) == 12
            for chat_id in (USER, FILTERING, KOLKATA, ROBOTS, FORUM):
                assert await tx.outbox.deliveries_for(chat_id) == []

        await backdate_stories(bot, slot - timedelta(minutes=30))
        assert await slot_at(bot, slot) == 4
        await fake.wait_for_async(
            lambda f: all(digests(f, c) for c in (USER, FILTERING, KOLKATA, FORUM)),
            what="four digests",
        )
        (mine,) = digests(fake, USER)
        text = mine.text or ""
        listed = [line.split(". ", 1)[1].split(" — ")[0] for line in text.splitlines()[1:11]]
        assert listed == HEADLINES[::-1][:10]  # hottest first
        assert text.splitlines()[-1] == "… and 2 more"
        assert f"{slot - timedelta(hours=1):%H:%M}–{slot:%H:%M} (UTC)" in text.splitlines()[0]
        assert 'href="https://example.com/112"' in (mine.params.get("text") or "")
        (filtered,) = digests(fake, FILTERING)
        assert "Crypto" not in (filtered.text or "")
        assert (filtered.text or "").splitlines()[-1] == "… and 1 more"
        (daily,) = digests(fake, KOLKATA)
        assert "Daily digest" in (daily.text or "") and "(Asia/Kolkata)" in (daily.text or "")
        (thread,) = digests(fake, FORUM)
        assert thread.params.get("message_thread_id") == THREAD
        assert digests(fake, ROBOTS) == []  # nothing of its topics in the period: no message

    # A rebuilt Application at the same slot, as after a crash before the job noted its progress.
    async with live_bot(fake, config(fake, tmp_path, bot_database_url)) as again:
        assert await slot_at(again, slot) == 0
        await again.settle()
        assert all(len(digests(fake, c)) == 1 for c in (USER, FILTERING, KOLKATA, FORUM))


async def test_settings_digest_row_steps_through_the_choices_and_timezone_refuses_nonsense(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    async with live_bot(fake, config(fake, tmp_path, "sqlite:///feedbot.db")) as bot:
        await bot.ask(USER, USER, "/settings")
        (menu,) = [m for m in bot_messages(fake, USER) if m.reply_markup][-1:]

        def digest_label() -> str:
            edited = next(m for m in bot_messages(fake, USER) if m.message_id == menu.message_id)
            rows = edited.reply_markup["inline_keyboard"]  # type: ignore[index]
            return next(r[0]["text"] for r in rows if "Digest" in r[0]["text"])

        assert digest_label() == "🗞 Digest: off (each post as it comes)"
        await press(bot, USER, USER, menu.message_id, "cfg:dig")
        assert digest_label() == "🗞 Digest: hourly"
        await bot.ask(USER, USER, "/digest daily 07:45")
        await bot.ask(USER, USER, "/digest off")
        await press(bot, USER, USER, menu.message_id, "cfg:dig")
        await press(bot, USER, USER, menu.message_id, "cfg:dig")
        assert digest_label() == "🗞 Digest: daily at 07:45"  # the time /digest set stays

        assert "don't know the time zone" in await bot.ask(USER, USER, "/timezone Mars/Base")
        assert "Europe/Berlin" in await bot.ask(USER, USER, "/timezone")  # how to write one
        assert "don't understand" in await bot.ask(USER, USER, "/digest weekly")
        refusal = await bot.ask(FORUM, FILTERING, "/digest hourly", chat_type="supergroup")
        assert refusal == "Only this group's admins can change its settings."


@on_both_databases
async def test_a_chat_turning_to_digests_mid_period_gets_no_story_twice(
    fake: FakeTelegram, tmp_path: Path, bot_database_url: str
) -> None:
    """A story the chat got as it came, before /digest hourly, is not listed again at the slot."""
    slot = this_hour()
    articles = tmp_path / "articles"
    async with live_bot(fake, config(fake, tmp_path, bot_database_url)) as bot:
        await choose(bot, USER, "/topic ai")
        write_article(articles, "a.md", url="https://example.com/a", title=HEADLINES[0], heat=150)
        await bot.run_publishing()
        await fake.wait_for_async(
            lambda f: any(HEADLINES[0] in (c.text or "") for c in f.sent(USER)),
            what="the first story as it came",
        )
        await choose(bot, USER, "/digest hourly")
        write_article(articles, "b.md", url="https://example.com/b", title=HEADLINES[1], heat=140)
        await bot.run_publishing()
        await backdate_stories(bot, slot - timedelta(minutes=30))
        assert await slot_at(bot, slot) == 1
        await fake.wait_for_async(lambda f: digests(f, USER), what="the digest")
    (digest,) = digests(fake, USER)
    lines = (digest.text or "").splitlines()
    assert len(lines) == 2 and HEADLINES[1] in lines[1]  # the heading, then the one story
    assert HEADLINES[0] not in (digest.text or "")


async def test_a_digest_keeps_the_chats_silent_choice(fake: FakeTelegram, tmp_path: Path) -> None:
    """Silent in /settings: the digest comes with disable_notification, as a post would; a chat
    that did not choose it gets a digest that notifies."""
    slot = this_hour()
    async with live_bot(fake, config(fake, tmp_path, "sqlite:///feedbot.db")) as bot:
        for chat_id in (USER, ROBOTS):
            await choose(bot, chat_id, "/topic ai", "/digest hourly")
        await bot.ask(USER, USER, "/settings")
        (menu,) = [m for m in bot_messages(fake, USER) if m.reply_markup][-1:]
        await press(bot, USER, USER, menu.message_id, "cfg:sil")
        write_article(tmp_path / "articles", "a.md", url="https://example.com/a", heat=150)
        await bot.run_publishing()
        await backdate_stories(bot, slot - timedelta(minutes=30))
        assert await slot_at(bot, slot) == 2
        await fake.wait_for_async(
            lambda f: digests(f, USER) and digests(f, ROBOTS), what="two digests"
        )
    (quiet,), (loud,) = digests(fake, USER), digests(fake, ROBOTS)
    assert quiet.params.get("disable_notification") is True
    assert "disable_notification" not in loud.params


async def test_a_digest_speaks_the_language_of_its_users_app(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    """A private chat that chose no /language gets its digest in the language its user's app
    last showed (Russian here), as its replies are; a group a Russian member wrote in keeps
    telegram.language (English), since one member's app is not the group's language."""
    slot = this_hour()
    async with live_bot(fake, config(fake, tmp_path, "sqlite:///feedbot.db")) as bot:
        await choose(bot, USER, "/topic ai", "/digest hourly", language_code="ru")
        forum = dict(chat_type="supergroup", thread_id=THREAD, language_code="ru")
        await choose(bot, FORUM, "/topic ai", "/digest hourly", **forum)
        write_article(tmp_path / "articles", "a.md", url="https://example.com/a", heat=150)
        await bot.run_publishing()
        await backdate_stories(bot, slot - timedelta(minutes=30))
        assert await slot_at(bot, slot) == 2
        await fake.wait_for_async(
            lambda f: digests(f, USER) and digests(f, FORUM), what="two digests"
        )
    (mine,), (group,) = digests(fake, USER), digests(fake, FORUM)
    assert (mine.text or "").startswith("🗞 Дайджест за час"), mine.text
    assert (group.text or "").startswith("🗞 Hourly digest"), group.text
