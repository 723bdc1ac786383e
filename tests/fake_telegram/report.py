"""What a fan-out looked like from Telegram's side: duplicates, per-chat pace violations and the
busiest rolling second, from the calls the fake recorded. Shared by the worker tests and
bench.workers (over /control/report)."""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from itertools import pairwise

from tests.fake_telegram.calls import Call
from tests.fake_telegram.sending import SENDING_METHODS

# A chat's messages closer together than this share of its interval (1 s private, 3 s group:
# what the bot paces to) came from two senders at once, not from one paced sender's jitter.
VIOLATION_SHARE = 0.5
PRIVATE_INTERVAL = 1.0
GROUP_INTERVAL = 3.0


@dataclass(frozen=True)
class FanOutReport:
    sent: int
    duplicates: int  # messages beyond the first with the same text to the same chat
    chat_violations: int  # consecutive messages to one chat closer than VIOLATION_SHARE × interval
    count_429: int
    busiest_second: int  # the most messages that arrived within any one rolling second
    first: float | None
    last: float | None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def fan_out_report(calls: Iterable[Call], chats: Iterable[int] | None = None) -> FanOutReport:
    """Over the sends to `chats` (every chat when None)."""
    wanted = None if chats is None else set(chats)
    sent: list[Call] = []
    count_429 = 0
    for call in calls:
        if call.method not in SENDING_METHODS or call.chat_id is None:
            continue
        if wanted is not None and call.chat_id not in wanted:
            continue
        if call.ok:
            sent.append(call)
        elif call.error_code == 429:
            count_429 += 1
    sent.sort(key=lambda c: c.time)
    copies = Counter((c.chat_id, c.text) for c in sent)
    by_chat: dict[int, list[float]] = defaultdict(list)
    for call in sent:
        assert call.chat_id is not None
        by_chat[call.chat_id].append(call.time)
    violations = 0
    for chat, times in by_chat.items():
        interval = PRIVATE_INTERVAL if chat > 0 else GROUP_INTERVAL
        violations += sum(1 for a, b in pairwise(times) if b - a < VIOLATION_SHARE * interval)
    return FanOutReport(
        sent=len(sent),
        duplicates=sum(n - 1 for n in copies.values()),
        chat_violations=violations,
        count_429=count_429,
        busiest_second=_busiest_second(c.time for c in sent),
        first=sent[0].time if sent else None,
        last=sent[-1].time if sent else None,
    )


def _busiest_second(times: Iterable[float]) -> int:
    window: deque[float] = deque()
    most = 0
    for at in times:
        window.append(at)
        while window[0] <= at - 1.0:
            window.popleft()
        most = max(most, len(window))
    return most
