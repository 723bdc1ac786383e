"""The fault knobs of the fake: errors, floods, blocked and migrated chats, slow answers,
broken photo URLs, a revoked token. Each one is what Telegram does to a real bot."""

from __future__ import annotations

from collections.abc import Iterable

from tests.fake_telegram import errors
from tests.fake_telegram.core import FakeCore
from tests.fake_telegram.faults import make_fault
from tests.fake_telegram.sending import SENDING_METHODS


class FaultKnobs(FakeCore):
    def fail(
        self,
        method: str | Iterable[str] | None = None,
        chat_id: int | str | None = None,
        times: int | None = 1,
        *,
        status: int | None = None,
        description: str | None = None,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        delay: float | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests (None: all) with an error.

        Matches on method name(s) and/or the addressed chat. A fault without a method never
        matches getUpdates: name it explicitly to fail polling. ``status`` defaults to 429 with
        ``retry_after``, 400 with ``migrate_to_chat_id``, else 500; ``delay`` holds the error
        response back that many seconds.
        """
        with self._lock:
            target = self._state.chat_id_of(chat_id) if chat_id is not None else None
            if chat_id is not None and target is None:
                raise KeyError(f"unknown chat {chat_id!r}: add_chat it first")
            self._state.faults.add(
                make_fault(
                    method,
                    target,
                    times,
                    status=status,
                    description=description,
                    retry_after=retry_after,
                    migrate_to_chat_id=migrate_to_chat_id,
                    delay=delay,
                )
            )

    def rate_limit(self, chat_id: int | str, retry_after: int, times: int = 1) -> None:
        """The next ``times`` messages to the chat get 429 with this retry_after."""
        self.fail(SENDING_METHODS, chat_id, times, retry_after=retry_after)

    def server_error(
        self, times: int = 1, status: int = 502, *, method: str | Iterable[str] | None = None
    ) -> None:
        self.fail(method, None, times, status=status)

    def block_chat(self, chat_id: int | str, description: str = errors.BLOCKED_BY_USER) -> None:
        """Messages to the chat get 403 with ``description`` until unblock_chat."""
        with self._lock:
            self._known_chat(chat_id).blocked = description

    def unblock_chat(self, chat_id: int | str) -> None:
        with self._lock:
            self._known_chat(chat_id).blocked = None

    def migrate_chat(self, old_id: int, new_id: int) -> None:
        """The group becomes supergroup ``new_id``: requests to ``old_id`` get the 400 with
        migrate_to_chat_id, ``new_id`` works (created with the old title and admins)."""
        with self._lock:
            self._state.migrate(old_id, new_id)

    def delay_responses(self, seconds: float, method: str | None = None) -> None:
        """Hold responses back (the work is done first, as a slow Telegram would: a client that
        times out may still have sent the message). 0 removes the delay. Without a method it
        applies to every method but getUpdates."""
        with self._lock:
            if seconds > 0:
                self._state.response_delays[method] = seconds
            else:
                self._state.response_delays.pop(method, None)

    def break_photo_url(self, url: str, description: str = errors.WRONG_FILE_ID_OR_URL) -> None:
        """sendPhoto with this URL is refused with ``description`` (Telegram caches failures)."""
        with self._lock:
            self._state.broken_urls[url] = description

    def revoke_token(self) -> None:
        """The bot's token is revoked (in @BotFather): every request with it gets 401, as with
        any unknown token."""
        with self._lock:
            self._revoked = True
            self._notify()

    def clear_faults(self) -> None:
        with self._lock:
            self._state.faults.clear()
            self._state.response_delays.clear()
