"""The fake's account of a fan-out (tests.fake_telegram.report), on a table of calls."""

from __future__ import annotations

from tests.fake_telegram.calls import Call
from tests.fake_telegram.report import fan_out_report


def test_fan_out_report_counts_duplicates_chat_violations_and_the_busiest_second() -> None:
    def send(chat: int, at: float, text: str = "a", ok: bool = True) -> Call:
        return Call(
            "sendMessage",
            {},
            at,
            ok,
            200 if ok else 429,
            None if ok else 429,
            chat_id=chat,
            text=text,
        )

    calls = [
        send(1, 0.0),
        send(1, 1.0, "b"),  # a paced second message: fine
        send(1, 1.2, "c"),  # 0.2 s after: two senders at once
        send(2, 0.1),
        send(2, 5.0),  # the same text again: a duplicate
        send(-5, 0.2),
        send(-5, 2.0, "b"),  # a group, 1.8 s apart: over half of 3 s, fine
        send(-5, 2.5, "c"),  # 0.5 s: a violation
        send(3, 0.3, ok=False),
        Call("getUpdates", {}, 0.4, True, 200),
    ]
    report = fan_out_report(calls)
    assert (report.sent, report.duplicates, report.chat_violations, report.count_429) == (
        8,
        1,
        2,
        1,
    )
    assert report.busiest_second == 3  # 0.0, 0.1, 0.2 (at 1.0 the send at 0.0 has left)
    assert fan_out_report(calls, chats=[2]).duplicates == 1
    assert fan_out_report(calls, chats=[2]).chat_violations == 0
