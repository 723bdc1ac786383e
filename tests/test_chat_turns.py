"""jobs.delivery.chat_turns: one send in flight per chat, claim order within a chat, the chat
whose time comes first goes first."""

from __future__ import annotations

from datetime import UTC, datetime

from jobs.delivery.chat_turns import ChatTurns
from storage.records import Delivery, DeliveryStatus

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def delivery(id_: int, chat: int) -> Delivery:
    return Delivery(id_, 1, chat, DeliveryStatus.SENDING, 1, NOW, None, None, NOW, None)


def test_a_chat_has_one_turn_at_a_time_in_claim_order() -> None:
    turns = ChatTurns()
    assert turns.add(delivery(1, 7), 0.0) is True  # the chat now waits for a turn
    assert turns.add(delivery(2, 7), 0.0) is False  # behind the first, no second turn
    assert turns.next_at() == 0.0
    chat = turns.start_turn()
    assert turns.take(chat).id == 1
    assert turns.next_at() is None  # its send is in flight: nothing else of the chat is due
    assert turns.add(delivery(3, 7), 0.0) is False  # claimed meanwhile: queued behind
    assert turns.end_turn(7, 1.0) is True  # the outcome is applied; the next waits for 1.0
    assert turns.next_at() == 1.0
    assert turns.take(turns.start_turn()).id == 2
    assert turns.end_turn(7, 2.0) is True
    assert turns.take(turns.start_turn()).id == 3
    assert turns.end_turn(7, 3.0) is False  # nothing left for the chat
    assert len(turns) == 0


def test_the_earliest_chat_goes_first_and_a_waiting_chat_holds_no_one_back() -> None:
    turns = ChatTurns()
    turns.add(delivery(1, 7), 5.0)  # its interval runs until 5.0
    turns.add(delivery(2, 8), 0.0)
    assert turns.start_turn() == 8
    chat = turns.take(8).chat_id
    assert turns.next_at() == 5.0 and chat == 8
    turns.wait(turns.start_turn(), 6.0)  # a 429 came for chat 7 meanwhile
    assert turns.next_at() == 6.0


def test_dropping_a_chat_forgets_what_is_queued_and_drain_hands_back_the_rest() -> None:
    turns = ChatTurns()
    for id_, chat in ((1, 7), (2, 7), (3, 7), (4, 8)):
        turns.add(delivery(id_, chat), 0.0)
    busy = turns.start_turn()
    assert turns.take(busy).id == 1
    assert [d.id for d in turns.drop(busy)] == [2, 3]  # its 403: the rest was cancelled
    assert turns.end_turn(busy, 1.0) is False
    assert len(turns) == 1
    assert [d.id for d in turns.drain()] == [4]
    assert len(turns) == 0 and turns.next_at() is None
