"""How fast it goes: the one place that knows Telegram's send limits and turns them into send
times. Pure arithmetic over a clock value the caller passes in, so it is table-testable.

Telegram: about 30 messages/s overall (1000/s with paid broadcasts), about 1 message/s per
private chat (short bursts tolerated), 20 messages/min per group or channel."""

from __future__ import annotations

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
# The rolling window the overall cap is counted in, and the share of the cap it may hold: a
# little headroom so that jitter between our send times and Telegram's arrival times does not
# tip a full window over.
WINDOW = 1.0
WINDOW_SHARE = 0.98


@dataclass
class Pacer:
    """Send times: never above `rate` overall, never faster than a chat's interval, never before
    a chat's retry_after has passed; slows down when 429s say the overall pace is off.

    The overall slot is taken only when a message is ready to go (`take_slot`), never ahead for
    a chat that must wait anyway, so one slow chat cannot hold the others back."""

    cap: float  # messages per second, the configured ceiling
    rate: float = 0.0  # current pace, ≤ cap
    private_interval: float = PRIVATE_INTERVAL
    group_interval: float = GROUP_INTERVAL
    _next_slot: float = 0.0
    _chat_ready: dict[int, float] = field(default_factory=dict)
    _blocked_until: dict[int, float] = field(default_factory=dict)
    _recent_429: list[tuple[float, int]] = field(default_factory=list)
    _last_change: float = 0.0
    # When sends actually left, for the rolling one-second window Telegram counts in: evenly
    # spaced slots still bunch up when the event loop runs late, and a bunch is a 429.
    _sent_times: deque[float] = field(default_factory=deque)

    def __post_init__(self) -> None:
        if self.rate <= 0:
            self.rate = self.cap

    def interval(self, chat_id: int) -> float:
        """Users have positive ids; groups, supergroups and channels negative ones."""
        return self.private_interval if chat_id > 0 else self.group_interval

    def chat_ready_at(self, chat_id: int) -> float:
        """When the next message to this chat may go (its interval and any retry_after)."""
        return max(self._chat_ready.get(chat_id, 0.0), self._blocked_until.get(chat_id, 0.0))

    def take_slot(self, now: float) -> float:
        """Reserve the next overall send slot at or after `now`."""
        self._recover(now)
        slot = max(now, self._next_slot)
        self._next_slot = slot + 1.0 / self.rate
        return slot

    def window_wait(self, now: float) -> float:
        """Seconds to wait so that no rolling window holds more than `rate` sends."""
        while self._sent_times and self._sent_times[0] <= now - WINDOW:
            self._sent_times.popleft()
        if len(self._sent_times) < max(1, int(self.rate * WINDOW * WINDOW_SHARE)):
            return 0.0
        return self._sent_times[0] + WINDOW - now

    def record_send(self, chat_id: int, at: float) -> None:
        """Call as the message leaves."""
        self._sent_times.append(at)
        self._chat_ready[chat_id] = max(
            self._chat_ready.get(chat_id, 0.0), at + self.interval(chat_id)
        )

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
            self._recent_429.clear()
            self._last_change = now
        return until

    def _recover(self, now: float) -> None:
        if self.rate < self.cap and now - self._last_change >= RECOVERY_AFTER:
            self.rate = min(self.cap, self.rate * RECOVERY_FACTOR)
            self._last_change = now

    def forget_idle(self, now: float) -> None:
        """Drop per-chat state that no longer constrains anything (keeps memory flat on big
        fan-outs)."""
        self._chat_ready = {c: t for c, t in self._chat_ready.items() if t > now}
        self._blocked_until = {c: t for c, t in self._blocked_until.items() if t > now}


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with full jitter for transient failures."""

    base: float = 2.0
    cap: float = 600.0

    def delay(self, attempt: int, jitter: float) -> float:
        """attempt counts from 1; jitter is a random number in [0, 1)."""
        ceiling = min(self.cap, self.base * 2.0 ** max(attempt - 1, 0))
        return ceiling / 2 + ceiling / 2 * jitter
