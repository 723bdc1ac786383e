"""Telegram's flood limits for sending methods, with an injectable clock.

The published numbers: about one message per second per private chat (short bursts tolerated),
20 messages per minute per group (channels are treated alike), about 30 messages per second
overall, 1000 per second for paid broadcasts. A refusal carries the honest wait: sending again
after ``retry_after`` seconds succeeds if nothing else was sent in between.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

PRIVATE_BURST = 3
PRIVATE_RATE = 1.0
GROUP_LIMIT = 20
GROUP_WINDOW = 60.0
GLOBAL_WINDOW = 1.0
PAID_BROADCAST_RATE = 1000.0


@dataclass
class _Bucket:
    tokens: float
    updated: float


def _whole_seconds(wait: float) -> int:
    # a hair of float noise must not turn an exact 1.0 into 2
    return max(1, math.ceil(wait - 1e-9))


@dataclass
class RateLimiter:
    global_rate: float = 30.0
    clock: Callable[[], float] = time.monotonic
    _private: dict[int, _Bucket] = field(default_factory=dict)
    _groups: dict[int, deque[float]] = field(default_factory=dict)
    _global: deque[tuple[float, bool]] = field(default_factory=deque)

    def acquire(self, chat_id: int, *, is_private: bool, paid: bool = False) -> int | None:
        """Count one message to ``chat_id`` and return None, or return the seconds to wait."""
        now = self.clock()
        waits = [self._global_wait(now, paid)]
        if is_private:
            waits.append(self._private_wait(chat_id, now))
        else:
            waits.append(self._group_wait(chat_id, now))
        wait = max(waits)
        if wait > 0:
            return _whole_seconds(wait)
        self._global.append((now, paid))
        if is_private:
            self._private[chat_id].tokens -= 1
        else:
            self._groups.setdefault(chat_id, deque()).append(now)
        return None

    def _global_wait(self, now: float, paid: bool) -> float:
        while self._global and self._global[0][0] <= now - GLOBAL_WINDOW:
            self._global.popleft()
        limit = PAID_BROADCAST_RATE if paid else self.global_rate
        # free messages may not ride on the paid allowance: only they count against the low cap
        counted = [sent for sent, was_paid in self._global if paid or not was_paid]
        allowed = math.ceil(limit)
        if len(counted) < allowed:
            return 0.0
        return counted[len(counted) - allowed] + GLOBAL_WINDOW - now

    def _private_wait(self, chat_id: int, now: float) -> float:
        bucket = self._private.setdefault(chat_id, _Bucket(PRIVATE_BURST, now))
        bucket.tokens = min(PRIVATE_BURST, bucket.tokens + (now - bucket.updated) * PRIVATE_RATE)
        bucket.updated = now
        if bucket.tokens >= 1:
            return 0.0
        return (1 - bucket.tokens) / PRIVATE_RATE

    def _group_wait(self, chat_id: int, now: float) -> float:
        sent = self._groups.setdefault(chat_id, deque())
        while sent and sent[0] <= now - GROUP_WINDOW:
            sent.popleft()
        if len(sent) < GROUP_LIMIT:
            return 0.0
        return sent[0] + GROUP_WINDOW - now
