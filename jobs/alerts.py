"""When the operator is told: one alert when something goes wrong, one when it recovers, and
nothing in between, however many runs see the same trouble. Pure: a state and an observation
in, the new state and what to say out (table-tested in tests/test_alerts.py).

Each thing watched has a key ("channel", "source:<url or folder>", "deliveries"). A thing is
in trouble after `threshold` failing observations in a row (1 for the channel: losing it is
news at once; 3 for a source: one failed fetch is weather). The first alert of a trouble opens
an episode (numbered, so that the outbox keys the alert once per episode and a restart neither
skips nor doubles it); the first healthy observation after it closes the episode with a
recovery."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

CHANNEL = "channel"
DELIVERIES = "deliveries"
SOURCE_PREFIX = "source:"
SOURCE_RUNS = 3  # failing runs in a row before a source is reported
# Deliveries fail "at a high rate" over one run: at least this many failed, half or more of all.
DELIVERY_FAILURES = 5
DELIVERY_FAILURE_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class AlertState:
    failing_runs: int = 0
    open: bool = False  # an alert went out and no recovery yet
    episode: int = 0  # how many alerts this key has had
    since: datetime | None = None  # the first failing observation of the current streak


@dataclass(frozen=True, slots=True)
class Observation:
    key: str
    failing: bool
    detail: str = ""  # what went wrong, for the alert (the error, the reason)
    threshold: int = 1


@dataclass(frozen=True, slots=True)
class Alert:
    key: str
    direction: Literal["down", "up"]  # down: in trouble; up: recovered
    episode: int
    since: datetime  # when the trouble began
    detail: str = ""

    @property
    def outbox_key(self) -> str:
        return f"{self.key}#{self.episode}:{self.direction}"


def decide(state: AlertState, seen: Observation, now: datetime) -> tuple[AlertState, Alert | None]:
    """The new state, and the alert to send (None: nothing to say)."""
    if seen.failing:
        runs = state.failing_runs + 1
        since = state.since or now
        if state.open or runs < seen.threshold:
            return replace(state, failing_runs=runs, since=since), None
        episode = state.episode + 1
        alert = Alert(seen.key, "down", episode, since, seen.detail)
        return AlertState(runs, True, episode, since), alert
    if state.open:
        alert = Alert(seen.key, "up", state.episode, state.since or now)
        return AlertState(0, False, state.episode, None), alert
    return AlertState(0, False, state.episode, None), None


def delivery_observation(sent: int, failed: int) -> Observation:
    """Deliveries over one run: failing at a high rate or not."""
    total = sent + failed
    high = failed >= DELIVERY_FAILURES and failed >= DELIVERY_FAILURE_SHARE * total
    return Observation(DELIVERIES, high, f"{failed}/{total}")
