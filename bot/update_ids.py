"""The update_ids seen lately: Telegram sends an update again when its answer came late (a slow
webhook, a lost connection), and a repeated `/publish <url> force` must not post twice."""

from __future__ import annotations

from collections import deque

RECENT_UPDATE_IDS = 4096  # far more than Telegram re-sends within its retry window


class RecentUpdateIds:
    """A bounded window: the oldest id is forgotten when a new one comes in."""

    def __init__(self, size: int = RECENT_UPDATE_IDS) -> None:
        self._order: deque[int] = deque()
        self._seen: set[int] = set()
        self._size = size

    def first_time(self, update_id: int) -> bool:
        """True the first time an id is offered (it is then remembered), False for a repeat."""
        if update_id in self._seen:
            return False
        self._seen.add(update_id)
        self._order.append(update_id)
        if len(self._order) > self._size:
            self._seen.discard(self._order.popleft())
        return True

    def __len__(self) -> int:
        return len(self._order)
