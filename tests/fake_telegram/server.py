"""A strict fake of the Telegram Bot API over real HTTP, for tests and benchmarks.

The aiohttp server runs in a thread with its own event loop, so a sync test driving a
subprocess and an async test driving an in-process Application (in the test's loop) both talk to
it the same way. Everything the server knows sits behind one lock; the test-facing methods take
the same lock, and every change wakes the waiters of ``wait_for`` / ``wait_for_async``.

This module holds the lifecycle and the world (chats, threads, updates); the rest are mixins on
one core (core.py): the HTTP side (http_side.py), the fault knobs (fault_knobs.py) and what the
fake saw (observations.py).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from typing import Any

from tests.fake_telegram.fault_knobs import FaultKnobs
from tests.fake_telegram.http_side import HttpSide
from tests.fake_telegram.observations import Observations


class FakeTelegram(HttpSide, FaultKnobs, Observations):
    # lifecycle

    def start(self) -> FakeTelegram:
        if self._thread is not None:
            raise RuntimeError("FakeTelegram is already running")
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                loop.run_until_complete(self._open())
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

        self._closing = False
        self._thread = threading.Thread(target=serve, name="fake-telegram", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("FakeTelegram did not start within 10 s")
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=15)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=15)
        self._thread = None
        self._loop = None

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # addresses

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeTelegram is not started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self._host}:{self.port}/file/bot"

    # the world

    def add_chat(
        self,
        chat_id: int,
        type: str = "private",
        title: str | None = None,
        username: str | None = None,
        admins: Iterable[int] = (),
        *,
        creator: int | None = None,
        first_name: str | None = None,
        is_forum: bool | None = None,
    ) -> None:
        """Make a chat known; ``username`` lets requests address it as "@username";
        ``is_forum``: a supergroup with forum threads (set_thread)."""
        with self._lock:
            self._state.add_chat(
                chat_id,
                type,
                title=title,
                username=username,
                first_name=first_name,
                admins=tuple(admins),
                creator=creator,
                is_forum=is_forum,
            )

    def set_thread(self, chat_id: int, thread_id: int, state: str = "open") -> None:
        """A forum thread opens, closes (sends get TOPIC_CLOSED) or is deleted (sends get
        "message thread not found")."""
        if state not in ("open", "closed", "deleted"):
            raise ValueError(f"a thread is open, closed or deleted, not {state!r}")
        with self._lock:
            chat = self._known_chat(chat_id)
            if not chat.is_forum:
                raise ValueError(f"chat {chat_id} is no forum: add_chat(..., is_forum=True)")
            chat.threads[thread_id] = state

    def set_bot_status(self, chat_id: int | str, status: str) -> None:
        """What getChatMember says of the bot in a channel: "administrator" (may post, the
        default), "no_post" (administrator without can_post_messages) or "left"."""
        if status not in ("administrator", "no_post", "left"):
            raise ValueError(f"unknown bot status {status!r}")
        with self._lock:
            self._known_chat(chat_id).bot_status = status

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; returns its update_id (assigned when absent)."""
        with self._lock:
            stored = self._state.push_update(update)
            self._notify()
        self._wake_polls_soon()
        return int(stored["update_id"])

    def push_raw_updates(self, *updates: dict[str, Any]) -> list[int]:
        """Queue updates exactly as given, unchecked and in one batch: what Telegram may send
        that a library cannot parse (a message without a chat), or an update_id sent again.
        Returns their update_ids (the next one where absent)."""
        with self._lock:
            stored = [self._state.push_raw_update(update) for update in updates]
            self._notify()
        self._wake_polls_soon()
        return [int(update["update_id"]) for update in stored]

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by a getUpdates offset."""
        with self._lock:
            return [dict(update) for update in self._state.updates]
