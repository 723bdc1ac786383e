"""The operator's alerts: the pure decision (state + observation -> alert, recovery or nothing),
the delivery failure rate, Telegram's 400s classified (a permission problem is no refused
photo), and end to end: one alert when the channel is lost, none on the runs after, one when it
is back, each through the outbox to the admin's chat."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.refusals import bad_request_kind
from jobs.alerts import Alert, AlertState, Observation, decide, delivery_observation
from storage.records import DeliveryStatus
from tests.article_factory import write_article
from tests.bot_process import CHANNEL_ID
from tests.fake_telegram import BOT_USERNAME
from tests.fake_telegram.server import FakeTelegram
from tests.fake_telegram.updates import chat as chat_dict
from tests.fake_telegram.updates import user as user_dict
from tests.live_bot import ADMIN, SETTLE_CHAT, LiveBot, bot_config, fake_with, live_bot

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
T1, T2 = T0 + timedelta(minutes=5), T0 + timedelta(minutes=10)
OK, BAD = False, True


def seen(failing: bool, threshold: int = 1) -> Observation:
    return Observation("source:/data", failing, "no such folder", threshold)


@pytest.mark.parametrize(
    ("state", "observation", "now", "new_state", "alert"),
    [
        # healthy and staying so: nothing
        (AlertState(), seen(OK), T0, AlertState(), None),
        # the first failure with threshold 1: the alert, episode 1
        (
            AlertState(),
            seen(BAD),
            T0,
            AlertState(1, True, 1, T0),
            Alert("source:/data", "down", 1, T0, "no such folder"),
        ),
        # still failing after the alert: nothing more, however many runs
        (AlertState(1, True, 1, T0), seen(BAD), T1, AlertState(2, True, 1, T0), None),
        # threshold 3: two failing runs are not yet news
        (AlertState(), seen(BAD, 3), T0, AlertState(1, False, 0, T0), None),
        (AlertState(1, False, 0, T0), seen(BAD, 3), T1, AlertState(2, False, 0, T0), None),
        (
            AlertState(2, False, 0, T0),
            seen(BAD, 3),
            T2,
            AlertState(3, True, 1, T0),
            Alert("source:/data", "down", 1, T0, "no such folder"),
        ),
        # a streak broken before the threshold is forgotten, silently
        (AlertState(2, False, 0, T0), seen(OK, 3), T1, AlertState(), None),
        # healthy again after an alert: the recovery, once
        (
            AlertState(5, True, 1, T0),
            seen(OK),
            T2,
            AlertState(0, False, 1, None),
            Alert("source:/data", "up", 1, T0),
        ),
        (AlertState(0, False, 1, None), seen(OK), T2, AlertState(0, False, 1, None), None),
        # the next trouble is episode 2: a new outbox key
        (
            AlertState(0, False, 1, None),
            seen(BAD),
            T2,
            AlertState(1, True, 2, T2),
            Alert("source:/data", "down", 2, T2, "no such folder"),
        ),
    ],
)
def test_decide(
    state: AlertState,
    observation: Observation,
    now: datetime,
    new_state: AlertState,
    alert: Alert | None,
) -> None:
    assert decide(state, observation, now) == (new_state, alert)


def test_alert_keys_are_per_episode_and_direction() -> None:
    assert Alert("channel", "down", 2, T0).outbox_key == "channel#2:down"
    assert Alert("channel", "up", 2, T0).outbox_key == "channel#2:up"


@pytest.mark.parametrize(
    ("sent", "failed", "high"),
    [(0, 0, False), (100, 4, False), (0, 4, False), (5, 5, True), (6, 5, False), (0, 30, True)],
)
def test_a_high_delivery_failure_rate(sent: int, failed: int, high: bool) -> None:
    assert delivery_observation(sent, failed).failing is high


# What Telegram said, by whose problem it is: the chat's, or this message's
BAD_REQUESTS = {
    "no rights": (
        "Bad Request: need administrator rights in the channel chat",
        "Need administrator rights in the channel chat",
        "Bad Request: not enough rights to send photos to the chat",
        "Bad Request: have no rights to send a message",
        "Bad Request: CHAT_WRITE_FORBIDDEN",
    ),
    "gone": ("Bad Request: chat not found", "Forbidden: bot was kicked from the channel chat"),
    "message": (
        "Bad Request: wrong file identifier/HTTP URL specified",
        "Bad Request: failed to get HTTP URL content",
        "Bad Request: wrong type of the web page content",
        "Bad Request: message caption is too long",
    ),
}


@pytest.mark.parametrize(
    ("description", "kind"),
    [(text, kind) for kind, texts in BAD_REQUESTS.items() for text in texts],
)
def test_bad_requests_are_classified(description: str, kind: str) -> None:
    assert bad_request_kind(description) == kind


# -- end to end ---------------------------------------------------------------------------------

NO_RIGHTS = "Bad Request: need administrator rights in the channel chat"


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with fake_with(ADMIN, SETTLE_CHAT) as running:
        yield running


def channel_member(status: str, *, can_post: bool) -> dict[str, Any]:
    bot_user = {"id": 123456, "is_bot": True, "first_name": "Feedbot", "username": BOT_USERNAME}
    new: dict[str, Any] = {"status": status, "user": bot_user}
    if status == "administrator":
        new.update(
            dict.fromkeys(
                [
                    *["can_be_edited", "is_anonymous", "can_manage_chat"],
                    *["can_delete_messages", "can_manage_video_chats", "can_restrict_members"],
                    *["can_promote_members", "can_change_info", "can_invite_users"],
                    *["can_post_stories", "can_edit_stories", "can_delete_stories"],
                ],
                False,
            ),
            can_post_messages=can_post,
        )
    return {
        "my_chat_member": {
            "chat": chat_dict(CHANNEL_ID, "channel", title="AI news"),
            "from": user_dict(ADMIN),
            "date": int(time.time()),
            "old_chat_member": {"status": "member", "user": bot_user},
            "new_chat_member": new,
        }
    }


def alerts(bot: LiveBot) -> list[str]:
    return [
        c.text or ""
        for c in bot.replies(ADMIN)
        if "⚠️" in (c.text or "") or "✅ I" in (c.text or "")
    ]


async def channel_active(bot: LiveBot, active: bool) -> None:
    async def check() -> bool:
        chat = await bot.chat(CHANNEL_ID)
        return chat is not None and chat.active is active

    await bot.until(check, f"the channel {'active' if active else 'inactive'}")


async def test_one_alert_on_channel_loss_and_one_on_recovery(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    for n in (1, 2):
        write_article(
            tmp_path / "articles",
            f"a{n}.md",
            url=f"https://example.com/{n}",
            image=f"https://img.example.com/{n}.jpg",
        )
    config = bot_config(tmp_path, fake, publish={"max_per_run": 1, "max_age_hours": None})
    async with live_bot(fake, config) as bot:
        await bot.ask(ADMIN, ADMIN, "/start")  # the admin's chat exists
        fake.fail("sendPhoto", CHANNEL_ID, times=None, status=400, description=NO_RIGHTS)
        await bot.run_publishing()
        await channel_active(bot, False)
        # a permission problem: the post is not tried again as text
        tried = [c for c in fake.calls if c.chat_id == CHANNEL_ID and c.method.startswith("send")]
        assert [(c.method, c.error_code) for c in tried] == [("sendPhoto", 400)]
        (row,) = await bot.deliveries(CHANNEL_ID)
        assert row.status is DeliveryStatus.CANCELLED

        for _ in range(3):  # the runs after the loss: one alert in all
            await bot.run_publishing()
        await fake.wait_for_async(lambda f: alerts(bot), what="the alert")
        await bot.settle()
        (alert,) = alerts(bot)
        assert alert.startswith("⚠️ I can no longer post to @my_ai_news (")
        assert "Need administrator rights in the channel chat" in alert
        stats = await bot.ask(ADMIN, ADMIN, "/stats")
        assert stats.startswith("Health: channel lost since ")

        fake.clear_faults()
        fake.push_update(channel_member("administrator", can_post=True))
        await fake.wait_for_async(lambda f: len(alerts(bot)) == 2, what="the recovery")
        assert alerts(bot)[1].startswith("✅ I can post to @my_ai_news again (lost since ")
        await bot.run_publishing()
        await bot.settle()
        assert len(alerts(bot)) == 2
        assert (await bot.ask(ADMIN, ADMIN, "/stats")).startswith("Health: channel OK · sources OK")
    async with live_bot(fake, config) as bot:  # a restart neither repeats nor skips one
        await bot.run_publishing()
        await bot.settle()
        assert len(alerts(bot)) == 2


async def test_a_restart_is_no_recovery(fake: FakeTelegram, tmp_path: Path) -> None:
    config = bot_config(tmp_path, fake)
    async with live_bot(fake, config) as bot:
        await bot.ask(ADMIN, ADMIN, "/start")
        fake.push_update(channel_member("administrator", can_post=False))  # rights taken away
        await fake.wait_for_async(lambda f: alerts(bot), what="the alert")
    fake.fail(
        "getChatMember",
        CHANNEL_ID,
        times=None,
        status=400,
        description="Bad Request: member not found",
    )
    async with live_bot(fake, config) as bot:
        await bot.run_publishing()
        await bot.settle()
        assert len(alerts(bot)) == 1
        assert not (await bot.chat(CHANNEL_ID)).active  # type: ignore[union-attr]
