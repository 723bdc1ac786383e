"""What the fake saw (calls, messages as users see them, commands, webhook) and waiting for it:
``wait_for`` in sync tests, ``wait_for_async`` in a test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from tests.fake_telegram.calls import Call
from tests.fake_telegram.core import FakeCore
from tests.fake_telegram.objects import Message
from tests.fake_telegram.sending import SENDING_METHODS

if TYPE_CHECKING:
    from tests.fake_telegram.server import FakeTelegram

_SUMMARY_CALLS = 20

T = TypeVar("T")


class Observations(FakeCore):
    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_of(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self._calls if call.method == method]

    def sent(self, chat_id: int | str | None = None) -> list[Call]:
        """Successful sendMessage/sendPhoto calls, optionally to one chat ("@name" works)."""
        with self._lock:
            target = self._state.chat_id_of(chat_id) if chat_id is not None else None
            if chat_id is not None and target is None:
                return []
            return [
                call
                for call in self._calls
                if call.ok
                and call.method in SENDING_METHODS
                and (target is None or call.chat_id == target)
            ]

    def messages(self, chat_id: int | str) -> list[Message]:
        """The chat as users see it now: edits applied, deleted messages gone."""
        with self._lock:
            target = self._state.chat_id_of(chat_id)
            found = [
                message
                for (chat, _), message in sorted(
                    self._state.messages.items(), key=lambda item: item[0]
                )
                if chat == target and not message.deleted
            ]
            return [Message(**vars(message)) for message in found]

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """The commands setMyCommands stored for exactly this scope and language."""
        with self._lock:
            key = self._state.command_scope_key(scope, language_code)
            return [dict(command) for command in self._state.commands.get(key, [])]

    def description(self, language_code: str = "", *, short: bool = False) -> str | None:
        """What setMyDescription (short: setMyShortDescription) stored for exactly this
        language ("" for the default); None when nothing is."""
        kind = "short_description" if short else "description"
        with self._lock:
            return self._state.descriptions.get((kind, language_code))

    @property
    def answered_callback_queries(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return dict(self._state.answered_callback_queries)

    @property
    def webhook(self) -> dict[str, Any] | None:
        with self._lock:
            return dict(self._state.webhook) if self._state.webhook else None

    @property
    def count_429(self) -> int:
        with self._lock:
            return sum(1 for call in self._calls if call.error_code == 429)

    @property
    def polling(self) -> int:
        """How many getUpdates requests are waiting right now (to know a bot is listening)."""
        with self._lock:
            return len(self._polls)

    def clear_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def wait_for(
        self, predicate: Callable[[FakeTelegram], T], timeout: float = 10.0, what: str = ""
    ) -> T:
        """Block until ``predicate(fake)`` is truthy (re-checked on every request); return it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = predicate(self)
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(self._timeout_message(predicate, timeout, what))
                self._changed.wait(remaining)

    async def wait_for_async(
        self,
        predicate: Callable[[FakeTelegram], T],
        # mirrors wait_for so tests read the same in both worlds; asyncio.timeout() around the
        # call would lose the summary of recent calls on expiry
        timeout: float = 10.0,  # noqa: ASYNC109
        what: str = "",
    ) -> T:
        """Like wait_for, but awaits without blocking the caller's event loop."""
        loop = asyncio.get_running_loop()
        changed = asyncio.Event()
        waiter = (loop, changed)
        with self._lock:
            self._async_waiters.append(waiter)
        try:
            deadline = loop.time() + timeout
            while True:
                changed.clear()
                with self._lock:
                    value = predicate(self)
                if value:
                    return value
                remaining = deadline - loop.time()
                if remaining <= 0:
                    with self._lock:
                        raise AssertionError(self._timeout_message(predicate, timeout, what))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), remaining)
        finally:
            with self._lock:
                self._async_waiters.remove(waiter)

    def _timeout_message(self, predicate: Callable[..., Any], timeout: float, what: str) -> str:
        name = what or getattr(predicate, "__name__", repr(predicate))
        recent = self._calls[-_SUMMARY_CALLS:]
        lines = "\n".join(f"  {call.summary()}" for call in recent) or "  (none)"
        return (
            f"FakeTelegram: {name} still false after {timeout} s; "
            f"{len(self._calls)} calls, the last {len(recent)}:\n{lines}"
        )
