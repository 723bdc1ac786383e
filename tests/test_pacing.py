"""How fast it goes: send times as a table, over an explicit clock."""

from __future__ import annotations

import pytest

from jobs.pacing import (
    MAX_IN_FLIGHT,
    MIN_IN_FLIGHT,
    MIN_RATE,
    RECOVERY_AFTER,
    RECOVERY_FACTOR,
    RTT_SAMPLES,
    SLOWDOWN_FACTOR,
    Pacer,
)

USER, OTHER_USER, GROUP = 11, 12, -100


def test_overall_slots_are_spaced_evenly_at_the_cap() -> None:
    pacer = Pacer(cap=10)
    assert [pacer.take_slot(0.0) for _ in range(5)] == pytest.approx([0, 0.1, 0.2, 0.3, 0.4])
    # Idle time is not banked as a burst.
    assert pacer.take_slot(10.0) == 10.0
    assert pacer.take_slot(10.0) == pytest.approx(10.1)


def test_a_late_caller_catches_up_on_the_slots_it_missed_within_its_allowance() -> None:
    pacer = Pacer(cap=100)
    assert pacer.take_slot(0.0) == 0.0
    # 30 ms late: the slots of 10, 20 and 30 ms are due at once, the pace over the second holds.
    late = [pacer.take_slot(0.04, catch_up=0.05) for _ in range(5)]
    assert late == pytest.approx([0.01, 0.02, 0.03, 0.04, 0.05])
    # Later than the allowance: what lies beyond it is lost, as idle time is.
    assert pacer.take_slot(1.0, catch_up=0.05) == pytest.approx(0.95)


@pytest.mark.parametrize(("chat", "interval"), [(USER, 1.0), (GROUP, 3.0)])
def test_chat_interval(chat: int, interval: float) -> None:
    pacer = Pacer(cap=30)
    assert pacer.chat_ready_at(chat) == 0
    pacer.record_send(chat, 5.0)
    assert pacer.chat_ready_at(chat) == pytest.approx(5.0 + interval)
    assert pacer.chat_ready_at(OTHER_USER) == 0


def test_group_interval_means_twenty_per_minute() -> None:
    pacer = Pacer(cap=30)
    now, sent = 0.0, 0
    while now < 60:
        pacer.record_send(GROUP, now)
        sent += 1
        now = pacer.chat_ready_at(GROUP)
    assert sent == 20


def test_retry_after_blocks_that_chat_only() -> None:
    pacer = Pacer(cap=30)
    assert pacer.retry_after(USER, 7, now=100.0) == 107
    assert pacer.chat_ready_at(USER) == 107
    assert pacer.chat_ready_at(OTHER_USER) == 0
    assert pacer.take_slot(100.0) == 100.0  # the overall pace is not held back by one chat
    assert pacer.blocked_chats(100.0) == [USER]
    assert pacer.blocked_chats(107.5) == []


def test_429s_from_several_chats_slow_the_overall_pace_then_it_recovers() -> None:
    pacer = Pacer(cap=30)
    pacer.retry_after(1, 1, now=0.0)
    pacer.retry_after(1, 1, now=0.5)
    assert pacer.rate == 30  # one chat's 429s are that chat's business
    pacer.retry_after(2, 1, now=1.0)
    pacer.retry_after(3, 1, now=2.0)
    assert pacer.rate == pytest.approx(30 * SLOWDOWN_FACTOR)
    pacer.take_slot(2.0 + RECOVERY_AFTER)
    assert pacer.rate == pytest.approx(30 * SLOWDOWN_FACTOR * RECOVERY_FACTOR)
    for step in range(2, 20):
        pacer.take_slot(2.0 + step * RECOVERY_AFTER)
    assert pacer.rate == 30


def test_slowdown_has_a_floor() -> None:
    pacer = Pacer(cap=2)
    for i in range(30):
        pacer.retry_after(i, 1, now=float(i) / 10)
    assert pacer.rate == MIN_RATE


def test_forget_idle_keeps_only_live_constraints() -> None:
    pacer = Pacer(cap=30)
    pacer.record_send(USER, 0.0)
    pacer.retry_after(OTHER_USER, 5, 0.0)
    pacer.forget_idle(2.0)
    assert pacer.blocked_chats(2.0) == [OTHER_USER]
    assert pacer.chat_ready_at(USER) == 0


def test_rolling_window_holds_back_a_bunch() -> None:
    pacer = Pacer(cap=100)
    tickets = []
    for n in range(100):
        # (as replies, which the in-flight limit does not hold back)
        assert pacer.window_wait(0.5, priority=True) == 0
        tickets.append(pacer.record_send(10_000 + n, 0.5))  # a late loop lets a second go at once
    assert pacer.window_wait(0.5, priority=True) is None  # all in flight: wait for an answer
    for ticket in tickets:
        pacer.record_answer(ticket, 0.6)
    # Each counts until a window after its answer, not after its send: it may have reached
    # Telegram as late as 0.6.
    assert pacer.window_wait(1.55) == pytest.approx(0.05)
    assert pacer.window_wait(1.6) == 0


@pytest.mark.parametrize(
    ("rate", "round_trip", "limit"),
    [
        (30, 0.03, MIN_IN_FLIGHT),  # 30/s over a short round trip needs 2: the floor
        (30, 0.1, 6),
        (1000, 0.002, MIN_IN_FLIGHT),  # a local server answers at once
        (1000, 0.05, 100),  # Telegram far away: rate × round trip × 2
        (1000, 2.0, MAX_IN_FLIGHT),
    ],
)
def test_sends_in_flight_follow_the_round_trip(rate: float, round_trip: float, limit: int) -> None:
    pacer = Pacer(cap=rate)
    assert pacer.in_flight_limit() == MIN_IN_FLIGHT  # nothing measured yet
    for n in range(5):
        pacer.record_answer(pacer.record_send(n + 1, 10.0), 10.0 + round_trip + n)
    assert pacer.in_flight_limit() == limit  # the least round trip counts, not the slow ones
    for n in range(limit):
        assert pacer.window_wait(20.0) is not None
        pacer.record_send(100 + n, 20.0)
    assert pacer.window_wait(20.0) is None  # full: wait for an answer
    assert pacer.window_wait(20.0, priority=True) is not None  # replies do not wait for that


def test_the_least_round_trip_ages_out() -> None:
    pacer = Pacer(cap=1000)
    pacer.record_answer(pacer.record_send(1, 0.0), 0.001)
    for _ in range(RTT_SAMPLES):
        pacer.record_answer(pacer.record_send(2, 1.0), 1.05)
    assert pacer.in_flight_limit() == 100


def test_crowded_sends_do_not_measure_the_round_trip() -> None:
    """With many in flight, a slow answer is our own queue: more concurrency would not help."""
    pacer = Pacer(cap=1000)
    pacer.record_answer(pacer.record_send(1, 0.0), 0.002)
    crowd = [pacer.record_send(100 + n, 1.0) for n in range(MIN_IN_FLIGHT)]
    for ticket in crowd:
        pacer.record_answer(ticket, 1.5)
    assert pacer.in_flight_limit() == MIN_IN_FLIGHT


def test_sends_in_flight_count_however_old() -> None:
    pacer = Pacer(cap=2)
    pacer.record_send(USER, 0.0)
    pacer.record_send(OTHER_USER, 0.0)
    assert pacer.window_wait(50.0) is None


@pytest.mark.parametrize(
    ("free", "sent_before", "expected"),
    [
        (False, 5, 0.0),  # broadcasts use the paid cap
        (True, 0, 0.0),
        (True, 5, 1.0),  # a reply waits for the free window, not the paid one
    ],
)
def test_paid_mode_keeps_free_messages_under_the_free_cap(
    free: bool, sent_before: int, expected: float
) -> None:
    pacer = Pacer(cap=1000, free_cap=5)
    for n in range(sent_before):
        pacer.record_answer(pacer.record_send(n + 1, 0.0, free=True), 0.0)
    assert pacer.window_wait(0.0, free=free) == pytest.approx(expected)


def test_free_messages_also_count_against_the_overall_cap() -> None:
    pacer = Pacer(cap=3, free_cap=30)
    for n in range(3):
        pacer.record_answer(pacer.record_send(n + 1, 0.0, free=True), 0.0)
    assert pacer.window_wait(0.5) == pytest.approx(0.5)


def test_waiting_replies_get_room_before_broadcasts() -> None:
    pacer = Pacer(cap=3)
    pacer.record_answer(pacer.record_send(1, 0.0), 0.0)
    pacer.record_answer(pacer.record_send(2, 0.0), 0.0)
    pacer.priority_waiting = 1
    assert pacer.window_wait(0.1) == pytest.approx(0.9)  # the last place is the reply's
    assert pacer.window_wait(0.1, priority=True) == 0


def test_a_slowdown_shrinks_the_window_too() -> None:
    pacer = Pacer(cap=10)
    for chat in (1, 2, 3):
        pacer.retry_after(chat, 1, now=0.0)
    for n in range(int(10 * SLOWDOWN_FACTOR)):
        pacer.record_answer(pacer.record_send(100 + n, 0.0), 0.0)
    assert pacer.window_wait(0.0) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("slowed", "share", "rate", "window"),
    [
        (False, 1000 / 3, 1000 / 3, 333),  # a third of the cap, in slots and in the window
        (False, 1000, 1000, 1000),  # back to the whole cap when the others are gone
        (True, 500, 500 * SLOWDOWN_FACTOR, int(500 * SLOWDOWN_FACTOR)),  # a slowdown stays
    ],
)
def test_a_share_of_a_cap_shared_by_several_workers(
    slowed: bool, share: float, rate: float, window: int
) -> None:
    pacer = Pacer(cap=1000)
    if slowed:
        for chat in range(3):
            pacer.retry_after(chat, 1, 0.0)
    pacer.share(share)
    assert pacer.cap == share and pacer.rate == pytest.approx(rate)
    # (Within RECOVERY_AFTER of the slowdown: the pace does not creep back up yet.)
    assert pacer.take_slot(1.0) == 1.0
    assert pacer.take_slot(1.0) == pytest.approx(1.0 + 1 / rate)
    ticket_time = 2.0
    for n in range(window):
        pacer.record_send(10_000 + n, ticket_time)
    assert pacer.window_wait(ticket_time, priority=True) is None  # the window is full
