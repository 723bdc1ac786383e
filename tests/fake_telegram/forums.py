"""Forum supergroups: their threads (open, closed, deleted) and what Telegram answers a send
into one. The General thread is the chat itself: a send without message_thread_id."""

from __future__ import annotations

from typing import Any

from tests.fake_telegram.errors import bad_request

THREAD_NOT_FOUND = "message thread not found"
TOPIC_CLOSED = "TOPIC_CLOSED"
OPEN, CLOSED, DELETED = "open", "closed", "deleted"


def check_thread(chat: Any, thread_id: int | None) -> None:
    """Refuse a send into a thread the chat does not have open, as Telegram does."""
    if thread_id is None:
        return
    state = chat.threads.get(thread_id) if chat.is_forum else None
    if state is None or state == DELETED:
        raise bad_request(THREAD_NOT_FOUND)
    if state == CLOSED:
        raise bad_request(TOPIC_CLOSED)


def register_incoming_thread(chat: Any, data: dict[str, Any]) -> None:
    """A user wrote in a thread: the fake learns it exists (open)."""
    thread_id = data.get("message_thread_id")
    if chat.is_forum and isinstance(thread_id, int):
        chat.threads.setdefault(thread_id, OPEN)
