"""How fast it goes: the one place that knows Telegram's send limits and turns them into send
times. Pure arithmetic over a clock value the caller passes in, so it is table-testable.

Telegram: about 30 messages/s overall (1000/s with paid broadcasts), about 1 message/s per
private chat (short bursts tolerated), 20 messages/min per group or channel."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

PRIVATE_INTERVAL = 1.0  # seconds between two messages to one private chat
GROUP_INTERVAL = 3.0  # 20 messages per minute, spread evenly
SLOWDOWN_WINDOW = 10.0  # 429s from this many seconds count together
SLOWDOWN_CHATS = 3  # ... from this many distinct chats mean the overall pace is too high
SLOWDOWN_FACTOR = 0.85
RECOVERY_AFTER = 10.0  # seconds without a 429 before the pace creeps back up
RECOVERY_FACTOR = 1.1
MIN_RATE = 1.0
# Telegram counts the overall cap over a rolling second, at the moment each request reaches it.
WINDOW = 1.0
# Messages sent without paid broadcast (command replies) stay under the free cap in paid mode.
FREE_CAP = 30.0
# Broadcast sends in flight at once: enough to keep the pace over the network's round trip
# (Little's law: rate × round trip), no more: every idle connection costs httpx's pool CPU on
# every request. The round trip is measured only on sends that left nearly alone: with many in
# flight it includes the engine's own queueing, which more concurrency would only lengthen.
MIN_IN_FLIGHT = 4
MAX_IN_FLIGHT = 128
IN_FLIGHT_HEADROOM = 2.0
RTT_SAMPLES = 32
ALONE = 2  # a send that left with at most this many in flight (itself included) is a sample


@dataclass
class _Window:
    """Sends that may still fall in one of Telegram's rolling windows.

    A request reaches Telegram somewhere between when it was sent and when its answer came back.
    Counting it from its send until WINDOW after its answer therefore never undercounts, however
    late the event loop, the network or the server is: the price is that a slow answer holds its
    place a little longer, which costs rate only when latency is high, exactly when bunched
    arrivals would otherwise turn into 429s."""

    limit: float
    in_flight: int = 0
    answered: deque[float] = field(default_factory=deque)

    def count(self, now: float) -> int:
        while self.answered and self.answered[0] <= now - WINDOW:
            self.answered.popleft()
        return self.in_flight + len(self.answered)

    def wait(self, now: float, reserve: int) -> float | None:
        room = max(1, int(self.limit * WINDOW)) - reserve
        if self.count(now) < room:
            return 0.0
        if self.answered:
            return self.answered[0] + WINDOW - now
        return None  # full of sends still waiting for their answers


@dataclass(frozen=True, slots=True)
class SendTicket:
    """One message on its way; hand it back to Pacer.record_answer when Telegram answers."""

    windows: tuple[_Window, ...]
    sent_at: float
    alone: bool  # few others in flight: its round trip measures the network, not our queue


@dataclass
class Pacer:
    """Send times: never above `rate` overall, never faster than a chat's interval, never before
    a chat's retry_after has passed; slows down when 429s say the overall pace is off.

    The overall slot is taken only when a message is ready to go (`take_slot`), never ahead for
    a chat that must wait anyway, so one slow chat cannot hold the others back."""

    cap: float  # messages per second, the configured ceiling
    rate: float = 0.0  # current pace, ≤ cap
    # Paid mode: broadcasts may use `cap`, but messages sent without allow_paid_broadcast
    # (replies) stay under this. None: every message is a free one, all under `cap`.
    free_cap: float | None = None
    private_interval: float = PRIVATE_INTERVAL
    group_interval: float = GROUP_INTERVAL
    _next_slot: float = 0.0
    _chat_ready: dict[int, float] = field(default_factory=dict)
    _blocked_until: dict[int, float] = field(default_factory=dict)
    _recent_429: list[tuple[float, int]] = field(default_factory=list)
    _last_change: float = 0.0
    # Replies waiting for room: broadcasts leave them that much of the window.
    priority_waiting: int = 0
    _round_trips: deque[float] = field(default_factory=lambda: deque(maxlen=RTT_SAMPLES))
    _min_round_trip: float | None = None
    _limit_of: tuple[tuple[float, float | None], int] = ((0.0, None), MIN_IN_FLIGHT)
    _all: _Window = field(init=False)
    _free: _Window | None = field(init=False)

    def __post_init__(self) -> None:
        if self.rate <= 0:
            self.rate = self.cap
        self._all = _Window(self.rate)
        self._free = None if self.free_cap is None else _Window(min(self.free_cap, self.cap))

    def interval(self, chat_id: int) -> float:
        """Users have positive ids; groups, supergroups and channels negative ones."""
        return self.private_interval if chat_id > 0 else self.group_interval

    def chat_ready_at(self, chat_id: int) -> float:
        """When the next message to this chat may go (its interval and any retry_after)."""
        return max(self._chat_ready.get(chat_id, 0.0), self._blocked_until.get(chat_id, 0.0))

    def take_slot(self, now: float, catch_up: float = 0.0) -> float:
        """Reserve the next overall send slot at or after `now`; with `catch_up`, a caller late
        by up to that long gets the slots it missed (due at once) rather than losing them."""
        self._recover(now)
        slot = max(now - catch_up, self._next_slot)
        self._next_slot = slot + 1.0 / self.rate
        return slot

    def window_wait(
        self, now: float, *, free: bool = False, priority: bool = False
    ) -> float | None:
        """0 when a message may leave now without any rolling window holding more than its
        limit; else seconds until a counted send leaves the window, or None when the window is
        full of sends in flight (wait for an answer). Broadcasts (priority False) leave room for
        the replies waiting; a free message must also fit the free window in paid mode."""
        reserve = 0 if priority else self.priority_waiting
        if not priority and self._all.in_flight >= self.in_flight_limit():
            return None
        wait = self._all.wait(now, reserve)
        if wait is None or not free or self._free is None:
            return wait
        free_wait = self._free.wait(now, 0)
        return None if free_wait is None else max(wait, free_wait)

    def record_send(self, chat_id: int, at: float, *, free: bool = False) -> SendTicket:
        """Call as the message leaves."""
        windows = (self._all, self._free) if free and self._free is not None else (self._all,)
        for window in windows:
            window.in_flight += 1
        self._chat_ready[chat_id] = max(
            self._chat_ready.get(chat_id, 0.0), at + self.interval(chat_id)
        )
        return SendTicket(windows, at, self._all.in_flight <= ALONE)

    def record_answer(self, ticket: SendTicket, at: float) -> None:
        """Call when Telegram's answer (or an error) came back for that message."""
        for window in ticket.windows:
            window.in_flight -= 1
            window.answered.append(at)
        if ticket.alone:
            self._sample_round_trip(at - ticket.sent_at)

    def _sample_round_trip(self, round_trip: float) -> None:
        full = len(self._round_trips) == RTT_SAMPLES
        dropped = self._round_trips[0] if full else None
        self._round_trips.append(round_trip)
        if self._min_round_trip is None or round_trip <= self._min_round_trip:
            self._min_round_trip = round_trip
        elif dropped is not None and dropped <= self._min_round_trip:
            self._min_round_trip = min(self._round_trips)  # the least one aged out

    def in_flight_limit(self) -> int:
        """How many broadcast sends may be in flight at once."""
        key = (self.rate, self._min_round_trip)
        if key != self._limit_of[0]:  # asked before every send; its inputs rarely change
            self._limit_of = (key, _in_flight_limit(*key))
        return self._limit_of[1]

    def blocked_until(self, chat_id: int) -> float:
        return self._blocked_until.get(chat_id, 0.0)

    def blocked_chats(self, now: float) -> list[int]:
        return [c for c, until in self._blocked_until.items() if until > now]

    def retry_after(self, chat_id: int, seconds: float, now: float) -> float:
        """Record a 429 for chat_id; returns when that chat may be tried again."""
        until = now + max(seconds, 0.0)
        self._blocked_until[chat_id] = max(self._blocked_until.get(chat_id, 0.0), until)
        self._recent_429 = [(t, c) for t, c in self._recent_429 if now - t <= SLOWDOWN_WINDOW]
        self._recent_429.append((now, chat_id))
        if len({c for _, c in self._recent_429}) >= SLOWDOWN_CHATS:
            self.rate = max(MIN_RATE, self.rate * SLOWDOWN_FACTOR)
            self._all.limit = self.rate
            self._recent_429.clear()
            self._last_change = now
        return until

    def share(self, cap: float) -> None:
        """Set this process's part of a cap shared with other delivery workers; a slowdown
        from 429s keeps its proportion."""
        if cap != self.cap:
            self.rate = max(MIN_RATE, min(cap, self.rate * cap / self.cap))
            self.cap = cap
            self._all.limit = self.rate

    def _recover(self, now: float) -> None:
        if self.rate < self.cap and now - self._last_change >= RECOVERY_AFTER:
            self.rate = min(self.cap, self.rate * RECOVERY_FACTOR)
            self._all.limit = self.rate
            self._last_change = now

    def forget_idle(self, now: float) -> None:
        """Drop per-chat state that no longer constrains anything (keeps memory flat on big
        fan-outs)."""
        self._chat_ready = {c: t for c, t in self._chat_ready.items() if t > now}
        self._blocked_until = {c: t for c, t in self._blocked_until.items() if t > now}


def _in_flight_limit(rate: float, min_round_trip: float | None) -> int:
    if min_round_trip is None:
        return MIN_IN_FLIGHT
    needed = math.ceil(rate * min_round_trip * IN_FLIGHT_HEADROOM - 1e-9)
    return max(MIN_IN_FLIGHT, min(MAX_IN_FLIGHT, needed))
