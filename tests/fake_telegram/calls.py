"""The record of one request the fake answered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.fake_telegram.html_entities import Entity


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    time: float  # time.monotonic() when the request arrived
    ok: bool
    status: int  # HTTP status
    error_code: int | None = None
    description: str | None = None
    parameters: dict[str, Any] | None = None  # of an error: retry_after, migrate_to_chat_id
    result: Any = None
    chat_id: int | None = None  # numeric, also when the request said "@username"
    text: str | None = None  # for messages and edits: the plain text (or caption) users see
    entities: tuple[Entity, ...] = field(default=())

    @property
    def message_id(self) -> int | None:
        if isinstance(self.result, dict):
            return self.result.get("message_id")
        return None

    @property
    def retry_after(self) -> int | None:
        return (self.parameters or {}).get("retry_after")

    def summary(self) -> str:
        where = f" chat={self.chat_id}" if self.chat_id is not None else ""
        what = f" {self.text[:60]!r}" if self.text else ""
        outcome = "ok" if self.ok else f"{self.error_code} {self.description}"
        return f"{self.method}{where}{what} -> {outcome}"
