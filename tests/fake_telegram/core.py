"""The shared state of one fake Telegram: what the server knows, the lock around it and the
waiters woken on every change. The fake's parts (server.py, http_side.py, fault_knobs.py,
observations.py) are mixins on this one core.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable

from aiohttp import web

from tests.fake_telegram.calls import Call
from tests.fake_telegram.objects import Chat
from tests.fake_telegram.state import TelegramState

DEFAULT_TOKEN = "123456:TEST-TOKEN"


class Poll:
    """One getUpdates request waiting for updates (lives in the server's loop only)."""

    def __init__(self) -> None:
        self.wake = asyncio.Event()
        self.superseded = False


class FakeCore:
    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        enforce_rate_limits: bool = True,
        global_rate: float = 30.0,
        host: str = "127.0.0.1",
        port: int = 0,
        auto_create_chats: bool = False,
        clock: Callable[[], float] = time.monotonic,
        control: bool = False,
    ) -> None:
        self.token = token
        self._control = control
        self._host = host
        self._requested_port = port
        self._clock = clock
        self._state = TelegramState(
            token,
            enforce_rate_limits=enforce_rate_limits,
            global_rate=global_rate,
            clock=clock,
            auto_create_chats=auto_create_chats,
        )
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._calls: list[Call] = []
        self._async_waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._polls: list[Poll] = []
        self._closing = False
        self._revoked = False
        # tracebacks of requests the fake itself failed on (answered 500); the fixture checks it
        self.internal_errors: list[str] = []

    def now(self) -> float:
        """The fake's clock, the one Call.time is read from."""
        return self._clock()

    def _known_chat(self, chat_id: int | str) -> Chat:
        chat = self._state.find_chat(chat_id)
        if chat is None:
            raise KeyError(f"unknown chat {chat_id!r}: add_chat it first")
        return chat

    def _notify(self) -> None:
        """Wake every waiter; the caller holds the lock."""
        self._changed.notify_all()
        for loop, changed in self._async_waiters:
            with contextlib.suppress(RuntimeError):  # the waiter's loop is closed
                loop.call_soon_threadsafe(changed.set)

    def _wake_polls(self) -> None:
        for poll in self._polls:
            poll.wake.set()

    def _wake_polls_soon(self) -> None:
        """Wake the waiting getUpdates from any thread (the server's loop does the waking)."""
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._wake_polls)
