"""The async gate over the Pacer: waiters wake on answers and stops, replies go first."""

from __future__ import annotations

import asyncio

from jobs.pacing import Pacer
from jobs.send_gate import SendGate


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_a_waiter_facing_sends_in_flight_wakes_on_their_answer() -> None:
    clock = Clock()
    gate = SendGate(Pacer(cap=1), monotonic=clock)
    ticket = gate.sending(1)
    waiter = asyncio.create_task(gate.wait_for_room())
    await asyncio.sleep(0)
    assert not waiter.done()
    gate.answered(ticket)  # now the send counts until a window after its answer
    clock.now += 1.0
    gate.wake_all()
    assert await asyncio.wait_for(waiter, 1) is True


async def test_cancel_ends_the_wait_with_false() -> None:
    gate = SendGate(Pacer(cap=1))
    gate.sending(1)
    stop = asyncio.Event()
    waiter = asyncio.create_task(gate.wait_for_room(cancel=stop))
    await asyncio.sleep(0)
    stop.set()
    gate.wake_all()
    assert await asyncio.wait_for(waiter, 1) is False


async def test_a_waiting_reply_holds_broadcasts_back_until_it_is_sent() -> None:
    clock = Clock()
    pacer = Pacer(cap=2)
    gate = SendGate(pacer, monotonic=clock)
    gate.answered(gate.sending(1))
    gate.sending(2)  # still in flight
    reply = asyncio.create_task(gate.wait_for_room(priority=True))
    await asyncio.sleep(0)
    assert pacer.priority_waiting == 1
    clock.now += 1.0  # one place frees up: the reply's, not a broadcast's
    assert pacer.window_wait(clock.now) is None
    gate.wake_all()
    assert await asyncio.wait_for(reply, 1) is True
    assert pacer.priority_waiting == 0
    assert pacer.window_wait(clock.now) == 0.0  # with no reply waiting, broadcasts may go


def test_a_429_holds_the_chat_and_a_shorter_one_does_not_shorten_the_hold() -> None:
    clock = Clock()
    gate = SendGate(Pacer(cap=30), monotonic=clock)
    assert gate.hold_chat(7, 5.0) == 5.0
    clock.now += 1.0
    assert gate.hold_chat(7, 2.0) == 2.0
    # ... but the earlier, longer hold still stands
    assert gate.pacer.blocked_chats(clock.now) == [7]
    assert gate.pacer.chat_ready_at(7) == 105.0


async def test_a_broadcast_does_not_pass_one_already_waiting_at_the_window() -> None:
    # The lock-free way through (nobody waiting, room now) must not let a newcomer take the
    # room that an earlier waiter, still napping, is about to find.
    clock = Clock()
    gate = SendGate(Pacer(cap=1), monotonic=clock)
    order: list[int] = []

    async def broadcast(chat: int) -> None:
        assert await gate.wait_for_room()
        gate.sending(chat)  # right after, as the worker does
        order.append(chat)

    gate.answered(gate.sending(1))  # the window is full until a second after this answer
    first = asyncio.create_task(broadcast(2))
    await asyncio.sleep(0)
    clock.now += 1.0  # room for one again, while the first one naps
    second = asyncio.create_task(broadcast(3))
    await asyncio.sleep(0)
    assert order == []  # the newcomer waits its turn
    gate.wake_all()
    await asyncio.wait_for(first, 1)
    await asyncio.sleep(0)
    assert order == [2]
    assert not second.done()  # no room until a window after the first one's send
    second.cancel()
