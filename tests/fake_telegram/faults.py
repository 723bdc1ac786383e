"""Faults a test queues up for the fake to answer with instead of doing the work."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tests.fake_telegram.errors import ApiError, default_description

# A fault without a method would otherwise be consumed by whichever request comes first, and a
# polling Application always has a getUpdates in flight: say "getUpdates" to fail polling.
_UNTARGETED_EXEMPT = frozenset({"getUpdates"})


@dataclass
class Fault:
    methods: frozenset[str] | None
    chat_id: int | None
    remaining: int | None  # None: until removed
    status: int
    description: str
    parameters: dict[str, Any] | None
    delay: float | None

    def matches(self, method: str, chat_id: int | None) -> bool:
        if self.methods is None and method in _UNTARGETED_EXEMPT:
            return False
        if self.methods is not None and method not in self.methods:
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def error(self) -> ApiError:
        return ApiError(self.status, self.description, self.parameters)


def make_fault(
    method: str | Iterable[str] | None,
    chat_id: int | None,
    times: int | None,
    *,
    status: int | None,
    description: str | None,
    retry_after: int | None,
    migrate_to_chat_id: int | None,
    delay: float | None,
) -> Fault:
    if status is None:
        status = 429 if retry_after is not None else 400 if migrate_to_chat_id is not None else 500
    parameters: dict[str, Any] = {}
    if retry_after is not None:
        parameters["retry_after"] = retry_after
    if migrate_to_chat_id is not None:
        parameters["migrate_to_chat_id"] = migrate_to_chat_id
    if description is None:
        if retry_after is not None:
            description = f"Too Many Requests: retry after {retry_after}"
        else:
            description = default_description(status)
    if times is not None and times < 1:
        raise ValueError("times must be at least 1, or None for a permanent fault")
    methods = frozenset([method] if isinstance(method, str) else method) if method else None
    return Fault(methods, chat_id, times, status, description, parameters or None, delay)


class FaultQueue:
    """Faults in the order they were queued; the first match wins and is used up."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self._faults.append(fault)

    def take(self, method: str, chat_id: int | None) -> Fault | None:
        for fault in self._faults:
            if fault.matches(method, chat_id):
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self._faults.clear()

    def __len__(self) -> int:
        return len(self._faults)
