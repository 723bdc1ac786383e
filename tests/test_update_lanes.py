"""ChatLanes (per-chat order, chats side by side, bounded queues, repeats dropped), the reply
budget and reply turns of bot.rate_limit, and the window of recent update_ids."""

from __future__ import annotations

import asyncio
import logging

import pytest
from telegram import Update
from telegram.ext import ExtBot

from bot.rate_limit import ReplyBudget, ReplyTurns
from bot.update_ids import RecentUpdateIds
from bot.update_lanes import ChatLanes, lane_key

BOT: ExtBot[None] = ExtBot("1:fake")
_ids = iter(range(1, 10**6))


def update(chat_id: int) -> Update:
    data = {
        "update_id": next(_ids),
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": chat_id, "type": "private", "first_name": "x"},
            "text": "hi",
        },
    }
    parsed = Update.de_json(data, BOT)
    assert parsed is not None
    return parsed


class Recorder:
    def __init__(self) -> None:
        self.done: list[tuple[int, int]] = []
        self.gates: dict[int, asyncio.Event] = {}
        self.changed = asyncio.Event()

    async def handle(self, chat_id: int, number: int) -> None:
        gate = self.gates.get(chat_id)
        if gate is not None:
            await gate.wait()
        await asyncio.sleep(0)
        self.done.append((chat_id, number))
        self.changed.set()

    async def until(self, count: int) -> None:
        while len(self.done) < count:
            self.changed.clear()
            await self.changed.wait()


async def test_a_chat_keeps_its_order_while_other_chats_go_past_it() -> None:
    lanes, rec = ChatLanes(), Recorder()
    rec.gates[1] = asyncio.Event()  # chat 1's first update is stuck (a reply waiting)
    for number in range(5):
        for chat in (1, 2, 3):
            await lanes.process_update(update(chat), rec.handle(chat, number))
    await rec.until(10)
    assert {c for c, _ in rec.done} == {2, 3}  # chat 1 blocks only itself
    rec.gates[1].set()
    await lanes.wait_idle()
    for chat in (1, 2, 3):
        assert [n for c, n in rec.done if c == chat] == list(range(5))
    assert lanes.queued == 0


async def test_a_flood_is_bounded_per_chat_and_in_total(caplog: pytest.LogCaptureFixture) -> None:
    lanes, rec = ChatLanes(per_chat=4, total=6), Recorder()
    rec.gates[1] = asyncio.Event()
    rec.gates[2] = asyncio.Event()
    for number in range(10):
        await lanes.process_update(update(1), rec.handle(1, number))
    for number in range(3):
        await lanes.process_update(update(2), rec.handle(2, number))
    await lanes.process_update(update(3), rec.handle(3, 0))  # over the total
    await lanes.process_update(update(4), rec.handle(4, 0))
    assert lanes.queued == 6 and lanes.dropped == 9
    rec.gates[1].set()
    rec.gates[2].set()
    await lanes.wait_idle()
    assert [n for c, n in rec.done if c == 1] == [0, 1, 2, 3]
    assert [n for c, n in rec.done if c == 2] == [0, 1]
    flood_lines = [
        r.getMessage() for r in caplog.records if "faster than it can be" in r.getMessage()
    ]
    assert len(flood_lines) == 3  # chats 1, 2, and one for new chats: not one per update
    assert "chat 1: 6 updates dropped in its flood" in caplog.text


async def test_a_repeated_update_id_is_dropped() -> None:
    lanes, rec = ChatLanes(), Recorder()
    first = update(5)
    await lanes.process_update(first, rec.handle(5, 0))
    await lanes.process_update(first, rec.handle(5, 1))
    await lanes.wait_idle()
    assert rec.done == [(5, 0)]


async def test_drain_cancels_what_does_not_finish_in_time() -> None:
    lanes, rec = ChatLanes(), Recorder()
    rec.gates[1] = asyncio.Event()
    await lanes.process_update(update(1), rec.handle(1, 0))
    await lanes.process_update(update(1), rec.handle(1, 1))
    await lanes.process_update(update(2), rec.handle(2, 0))
    await lanes.drain(0.2)
    assert rec.done == [(2, 0)] and lanes.queued == 0


def test_updates_without_a_chat_go_by_user() -> None:
    query = Update.de_json(
        {
            "update_id": 1,
            "inline_query": {
                "id": "q",
                "from": {"id": 77, "is_bot": False, "first_name": "x"},
                "query": "",
                "offset": "",
            },
        },
        BOT,
    )
    assert lane_key(query) == ("user", 77)
    assert lane_key(update(-100)) == ("chat", -100)
    assert lane_key(object()) == ("none", 0)


def test_recent_update_ids_are_a_bounded_window() -> None:
    recent = RecentUpdateIds(size=3)
    assert [recent.first_time(n) for n in (1, 2, 1, 3, 4)] == [True, True, False, True, True]
    assert len(recent) == 3
    assert recent.first_time(1)  # forgotten: the oldest left the window


@pytest.mark.parametrize(
    ("sent_at", "now", "interval", "ready"),
    [
        ([], 10.0, 1.0, 10.0),  # a fresh chat: at once
        ([10.0, 10.0], 10.0, 1.0, 10.0),  # within the burst of three
        ([10.0, 10.0, 10.0], 10.0, 1.0, 11.0),  # burst used up: one interval
        ([10.0, 10.0, 10.0], 10.5, 1.0, 11.0),  # half refilled
        ([10.0, 10.0, 10.0, 11.0], 11.0, 1.0, 12.0),
        ([10.0, 10.0, 10.0], 10.0, 3.0, 13.0),  # a group: 20 a minute
        ([10.0, 10.0, 10.0], 20.0, 1.0, 20.0),  # refilled long since
    ],
)
def test_reply_budget(sent_at: list[float], now: float, interval: float, ready: float) -> None:
    budget = ReplyBudget()
    for at in sent_at:
        budget.spend(7, at, interval)
    assert budget.ready_at(7, now, interval) == pytest.approx(ready)


async def test_a_quiet_chat_goes_before_a_flooding_one() -> None:
    turns, order = ReplyTurns(), []
    hold = asyncio.Event()

    async def reply(
        chat: int, now: float, load: int = 0, wait: asyncio.Event | None = None
    ) -> None:
        async with turns.turn(chat, now, load):
            if wait is not None:
                await wait.wait()
            order.append(chat)

    for chat, at in ((1, 1.0), (6, 2.5)):
        async with turns.turn(chat, at):
            pass  # answered then
    holder = asyncio.create_task(reply(9, 2.0, wait=hold))
    await asyncio.sleep(0)
    waiting = [
        asyncio.create_task(reply(chat, 3.0, load))
        for chat, load in ((1, 6), (1, 5), (5, 2), (6, 1), (7, 1))
    ]
    await asyncio.sleep(0)
    hold.set()
    await asyncio.gather(holder, *waiting)
    # the quiet chats first (7 never answered, 6 at 2.5), then the smaller floods
    assert order == [9, 7, 6, 5, 1, 1]


async def test_a_cancelled_waiter_passes_its_turn_on(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    turns = ReplyTurns()
    hold = asyncio.Event()
    got: list[int] = []

    async def reply(chat: int) -> None:
        async with turns.turn(chat, 0.0):
            if chat == 1:
                await hold.wait()
            got.append(chat)

    holder = asyncio.create_task(reply(1))
    await asyncio.sleep(0)
    doomed = asyncio.create_task(reply(2))
    after = asyncio.create_task(reply(3))
    await asyncio.sleep(0)
    doomed.cancel()
    hold.set()
    await asyncio.gather(holder, after)
    assert got == [1, 3]
