"""How long to wait after the n-th failure in a row: the one backoff formula every retry uses (a
delivery's send, the delivery worker's database waits, JSON feed sources, the startup getChat).

Exponential with *equal jitter*: the n-th wait is drawn between half and all of base·2ⁿ⁻¹, so
waiters behind one outage do not retry in step, yet none retries at once. The cap is applied
after the draw: capping first would let draws just under the cap fall below the wait before,
whereas this way no wait is shorter than the longest the one before could have been.

Written by hand: the retry libraries (tenacity, stamina, backoff) own the loop and the sleep,
but here the wait is stored in a row or taken by a worker that must also watch for a stop."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

# Doublings counted at the most: enough to pass any cap, few enough that 2.0**n stays finite.
MAX_DOUBLINGS = 64

D = TypeVar("D", float, timedelta)  # seconds as a float, or a timedelta


@dataclass(frozen=True, slots=True)
class Backoff(Generic[D]):
    base: D  # the first failure's longest wait
    cap: D  # no wait is longer

    def delay(self, attempt: int, draw: float) -> D:
        """attempt counts from 1 (less is read as 1); draw is uniform in [0, 1) (injected, so
        tests choose it; clamped to [0, 1])."""
        doublings = min(max(attempt, 1) - 1, MAX_DOUBLINGS)
        # One float scale of the base (exact: a power of two times the share), so a timedelta
        # base is multiplied once and rounded once.
        scale = 2.0**doublings * (0.5 + 0.5 * min(max(draw, 0.0), 1.0))
        if scale >= self.cap / self.base:  # compared first: a timedelta must not overflow
            return self.cap
        return min(self.cap, self.base * scale)

    def longest(self, attempt: int) -> D:
        """The top of the draw: for a lone waiter (one process waiting for its database), where
        there is nobody to fall out of step with."""
        return self.delay(attempt, 1.0)
