"""End to end: the menus, /start and /help, who may change what, and the admin commands
(/publish, /preview, /pause, /resume, /stats). The rig: tests/commands/conftest.py and rig.py."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from storage.records import DeliveryStatus
from storage.state_keys import PAUSED_KEY
from tests.bot_process import CHANNEL_ID
from tests.commands.rig import (
    GROUP,
    IMAGE,
    OTHER,
    URL,
    USER,
    anonymous_admin,
    articles,
    names,
    write,
)
from tests.conftest import on_both_databases
from tests.fake_telegram import BOT_USERNAME, Upload, callback_query_update
from tests.fake_telegram.server import FakeTelegram
from tests.live_bot import ADMIN, LiveBot, bot_config, live_bot

# -- menus, /start, /help -----------------------------------------------------------------------


async def test_menus_are_set_at_start_and_an_unknown_admin_is_logged(
    fake: FakeTelegram, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = bot_config(tmp_path, fake, telegram={"admins": [ADMIN, 4242]})
    async with live_bot(fake, config) as running:
        assert "/topic" in await running.ask(USER, USER, "/start")
        await running.ask(4242, 4242, "/start")  # now Telegram knows the chat: the menu is set
    user_menu = [
        *["start", "help", "topics", "topic", "untopic", "mytopics", "heat", "settings"],
        *["filter", "digest", "timezone", "language", "stop"],
    ]
    assert names(fake.commands()) == user_menu
    admin_scope = {"type": "chat", "chat_id": ADMIN}
    admin_menu = [*user_menu, "publish", "preview", "stats", "pause", "resume"]
    assert names(fake.commands(admin_scope)) == admin_menu
    assert "could not set the admin menu for user 4242" in caplog.text  # never wrote to the bot
    assert names(fake.commands({"type": "chat", "chat_id": 4242})) == admin_menu
    assert fake.commands({"type": "chat", "chat_id": USER}) == []


async def test_start_and_help(bot: LiveBot) -> None:
    welcome = await bot.ask(USER, USER, "/start")
    assert "/topic computer vision" in welcome and "/help" in welcome
    user_help = await bot.ask(USER, USER, "/help")
    for command in ("/start", "/topics", "/topic", "/untopic", "/mytopics", "/heat", "/language"):
        assert command in user_help
    assert "/publish" not in user_help
    admin_help = await bot.ask(ADMIN, ADMIN, "/help")
    for command in ("/publish", "/preview", "/stats", "/pause", "/resume"):
        assert command in admin_help


async def test_an_answer_waits_out_a_short_flood_limit_and_drops_a_long_one(
    bot: LiveBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot.fake.rate_limit(USER, retry_after=1)
    assert "/help" in await bot.ask(USER, USER, "/start")
    assert [c.error_code for c in bot.fake.calls_of("sendMessage")] == [429, None]
    bot.fake.rate_limit(USER, retry_after=60)
    bot.say(USER, USER, "/help")
    await bot.settle()
    assert "reply to chat 1001 dropped: flood limit (60 s)" in caplog.text
    assert len(bot.replies(USER)) == 1


# -- who may change what ------------------------------------------------------------------------


async def test_in_a_group_only_admins_change_what_it_follows(bot: LiveBot) -> None:
    fake = bot.fake
    refusal = await bot.ask(GROUP, OTHER, "/topic ai")
    assert "Only this group's admins" in refusal
    assert await bot.followed(GROUP) == set()

    assert "Now following AI" in await bot.ask(GROUP, USER, f"/topic@{BOT_USERNAME} ai")
    assert await bot.followed(GROUP) == {"AI"}
    asked = len(fake.calls_of("getChatMember"))
    assert asked == 2
    assert "Stopped following AI" in await bot.ask(GROUP, USER, "/untopic ai")
    assert len(fake.calls_of("getChatMember")) == asked  # cached

    # an anonymous admin posts as the group itself
    before = len(bot.replies(GROUP))
    fake.push_update(anonymous_admin("/topic nlp"))
    await fake.wait_for_async(lambda f: len(bot.replies(GROUP)) > before)
    assert "Now following Natural Language Processing" in (bot.replies(GROUP)[-1].text or "")
    assert len(fake.calls_of("getChatMember")) == asked

    # a command for another bot is not ours
    bot.say(GROUP, USER, "/stop@some_other_bot")
    await bot.settle()
    assert await bot.followed(GROUP) == {"Natural Language Processing"}

    # a member may look at the list, not press it
    await bot.ask(GROUP, OTHER, "/topics")
    listing = [m for m in fake.messages(GROUP) if m.from_bot][-1]
    assert listing.reply_markup is not None
    data = listing.reply_markup["inline_keyboard"][0][0]["callback_data"]
    fake.push_update(
        callback_query_update(
            GROUP, OTHER, listing.message_id, data, chat_type="group", query_id="member-press"
        )
    )
    await fake.wait_for_async(lambda f: "member-press" in f.answered_callback_queries)
    answer = fake.answered_callback_queries["member-press"]
    assert "Only this group's admins" in answer["text"] and answer["show_alert"]
    assert await bot.followed(GROUP) == {"Natural Language Processing"}


async def test_admin_commands_are_refused_to_everyone_else(
    bot: LiveBot, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(tmp_path, "a.md", url=URL, heat=50)
    await bot.run_publishing()
    caplog.set_level(logging.WARNING)
    for command in (f"/publish {URL}", f"/preview {URL}", "/stats", "/pause", "/resume"):
        assert "only for the admins" in await bot.ask(USER, USER, command)
    assert "refused /publish from user 1001" in caplog.text
    # the group's admin is not the bot's admin, nor is an anonymous admin of a group
    assert "only for the admins" in await bot.ask(GROUP, USER, "/pause")
    before = len(bot.replies(GROUP))
    bot.fake.push_update(anonymous_admin("/pause"))
    await bot.fake.wait_for_async(lambda f: len(bot.replies(GROUP)) > before)
    assert "only for the admins" in (bot.replies(GROUP)[-1].text or "")
    async with bot.svc.uow() as tx:
        assert await tx.state.get(PAUSED_KEY) is None
    assert await bot.deliveries(CHANNEL_ID) == []
    assert bot.posts(USER) == []


async def test_edited_or_forwarded_publish_does_not_publish(bot: LiveBot, tmp_path: Path) -> None:
    write(tmp_path, "a.md", url=URL, heat=50)
    await bot.run_publishing()
    # a command the admin forwards is someone else's words, not the admin's command
    bot.say(ADMIN, ADMIN, f"/publish {URL}", forward_from=OTHER, message_id=40)
    await bot.settle()
    assert bot.replies(ADMIN) == [] and await bot.deliveries(CHANNEL_ID) == []

    answer = await bot.ask(ADMIN, ADMIN, f"/publish {URL}", message_id=50)
    assert "queued for the channel" in answer
    await bot.fake.wait_for_async(lambda f: len(bot.posts(CHANNEL_ID)) == 1)

    bot.say(ADMIN, ADMIN, f"/publish {URL} force", message_id=50, edited=True)
    await bot.settle()
    assert len(bot.replies(ADMIN)) == 1  # the edit was not answered, nor run
    (delivery,) = await bot.deliveries(CHANNEL_ID)
    assert delivery.attempts == 1


# -- admin commands -------------------------------------------------------------------------------


@on_both_databases
async def test_publish_unknown_then_now_then_already_then_force(
    bot: LiveBot, tmp_path: Path
) -> None:
    await bot.ask(USER, USER, "/topic ai")
    write(tmp_path, "a.md", url=URL, title="Robots read", heat=50)  # too cold to be selected
    await bot.run_publishing()
    assert await bot.deliveries(CHANNEL_ID) == []

    unknown = await bot.ask(ADMIN, ADMIN, "/publish https://example.com/nope")
    assert "No stored article has the address" in unknown
    answer = await bot.ask(ADMIN, ADMIN, f"/publish {URL}?utm_source=newsletter")
    assert "Robots read: queued for the channel, and for 1 subscriber chat." in answer
    await bot.fake.wait_for_async(
        lambda f: len(bot.posts(CHANNEL_ID)) == 1 and len(bot.posts(USER)) == 1
    )

    async def channel_sent() -> bool:
        rows = await bot.deliveries(CHANNEL_ID)
        return [d.status for d in rows] == [DeliveryStatus.SENT]

    await bot.until(channel_sent, "the channel post recorded as sent")
    already = await bot.ask(ADMIN, ADMIN, f"/publish {URL}")
    assert "was posted to the channel on" in already and "UTC" in already
    assert f"/publish {URL} force" in already

    forced = await bot.ask(ADMIN, ADMIN, f"/publish {URL} force")
    assert "queued for the channel again, and for 0 subscriber chats." in forced
    await bot.fake.wait_for_async(lambda f: len(bot.posts(CHANNEL_ID)) == 2, timeout=15)
    assert len(bot.posts(USER)) == 1  # a subscriber never gets it twice


async def test_preview_goes_to_the_admin_only(bot: LiveBot, tmp_path: Path) -> None:
    write(tmp_path, "a.md", url=URL, title="Robots & readers", heat=50)
    await bot.run_publishing()
    note = await bot.ask(ADMIN, ADMIN, f"/preview {URL}")
    assert note == "Preview above; nothing was posted."
    (post,) = bot.posts(ADMIN)
    assert post.params["photo"] == IMAGE
    assert post.text is not None and post.text.startswith("Robots & readers")
    assert post.params["reply_markup"]["inline_keyboard"][0][0]["url"] == URL
    assert bot.fake.sent(CHANNEL_ID) == []
    async with bot.svc.uow() as tx:
        assert sum((await tx.stats.delivery_counts()).values()) == 0
    assert "No stored article" in await bot.ask(ADMIN, ADMIN, "/preview https://example.com/x")


async def test_pause_holds_scheduled_runs_but_not_publish(bot: LiveBot, tmp_path: Path) -> None:
    assert "paused" in await bot.ask(ADMIN, ADMIN, "/pause")
    assert "already paused" in await bot.ask(ADMIN, ADMIN, "/pause")
    write(tmp_path, "hot.md", title="Hot", heat=150)
    write(tmp_path, "cold.md", url=URL, title="Cold", heat=50)
    await bot.run_publishing()
    assert await bot.deliveries(CHANNEL_ID) == []  # nothing selected while paused ...

    # ... but the run ingested, so a manual /publish finds what arrived meanwhile
    assert "queued for the channel" in await bot.ask(ADMIN, ADMIN, f"/publish {URL}")
    await bot.fake.wait_for_async(lambda f: len(bot.posts(CHANNEL_ID)) == 1)
    assert "on again" in await bot.ask(ADMIN, ADMIN, "/resume")
    assert "was not paused" in await bot.ask(ADMIN, ADMIN, "/resume")
    await bot.run_publishing()
    await bot.fake.wait_for_async(lambda f: len(bot.posts(CHANNEL_ID)) == 2, timeout=15)
    assert [(p.text or "").split("\n")[0] for p in bot.posts(CHANNEL_ID)] == ["Cold", "Hot"]


@on_both_databases
async def test_stats(bot: LiveBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.handlers.stats.posts_per_day_png", lambda *args: None)
    await bot.ask(USER, USER, "/topic ai, nlp")
    await bot.ask(OTHER, OTHER, "/topic ai")
    write(tmp_path, "a.md", url=URL, heat=150, topics=("Robotics",))
    (articles(tmp_path) / "junk.md").write_bytes(b"\xff\xfe\x00 junk")
    await bot.run_publishing()
    text = await bot.ask(ADMIN, ADMIN, "/stats")
    assert "scheduled publishing on" in text
    assert "Articles: 1 stored · 0 eligible now · " in text
    assert "Last ingest: 1 new, 0 updated, 0 unchanged files" in text
    assert "Files skipped at the last ingest (1):\n• junk.md: not UTF-8" in text
    assert "Chats: 3 active · 0 inactive" in text
    assert "Subscribers per topic:\n• AI: 2\n• Natural Language Processing: 1" in text
    assert "Deliveries: " in text and "Last run: " in text and "min ago" in text
    assert bot.posts(ADMIN) == []  # without the chart extra: the text only


async def test_stats_chart(bot: LiveBot) -> None:
    pytest.importorskip("matplotlib")
    await bot.ask(ADMIN, ADMIN, "/stats")
    await bot.fake.wait_for_async(lambda f: len(bot.posts(ADMIN)) == 1, timeout=30)
    (chart,) = bot.posts(ADMIN)
    assert isinstance(chart.params["photo"], Upload) and chart.params["photo"].size > 1000
    assert chart.text == "Channel posts per day (UTC), last 14 days"
