"""A strict fake of the Telegram Bot API over real HTTP, for tests and benchmarks.

The aiohttp server runs in a thread with its own event loop, so a sync test driving a
subprocess and an async test driving an in-process Application (in the test's loop) both talk to
it the same way. Everything the server knows sits behind one lock; the test-facing methods take
the same lock, and every change wakes the waiters of ``wait_for`` / ``wait_for_async``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from aiohttp import web

from tests.fake_telegram import errors
from tests.fake_telegram.calls import Call
from tests.fake_telegram.control import add_control_routes
from tests.fake_telegram.errors import ApiError, bad_request
from tests.fake_telegram.faults import make_fault
from tests.fake_telegram.methods import METHOD_NAMES, METHODS, SENDING_METHODS, Outcome
from tests.fake_telegram.params import Params, Upload, decode_params
from tests.fake_telegram.state import UPDATE_TYPES, Chat, Message, TelegramState

DEFAULT_TOKEN = "123456:TEST-TOKEN"
_SUMMARY_CALLS = 20

T = TypeVar("T")


class _Poll:
    """One getUpdates request waiting for updates (lives in the server's loop only)."""

    def __init__(self) -> None:
        self.wake = asyncio.Event()
        self.superseded = False


class FakeTelegram:
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
        self._polls: list[_Poll] = []
        self._closing = False
        self._revoked = False
        # tracebacks of requests the fake itself failed on (answered 500); the fixture checks it
        self.internal_errors: list[str] = []

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

    async def _open(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        if self._control:
            add_control_routes(app, self)
        # a cancelled long poll must end its handler, not linger until its timeout
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._requested_port)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def _close(self) -> None:
        self._closing = True
        self._wake_polls()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # addresses

    def now(self) -> float:
        """The fake's clock, the one Call.time is read from."""
        return self._clock()

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
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._wake_polls)
        return int(stored["update_id"])

    def push_raw_updates(self, *updates: dict[str, Any]) -> list[int]:
        """Queue updates exactly as given, unchecked and in one batch: what Telegram may send
        that a library cannot parse (a message without a chat), or an update_id sent again.
        Returns their update_ids (the next one where absent)."""
        with self._lock:
            stored = [self._state.push_raw_update(update) for update in updates]
            self._notify()
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._wake_polls)
        return [int(update["update_id"]) for update in stored]

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by a getUpdates offset."""
        with self._lock:
            return [dict(update) for update in self._state.updates]

    # faults

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

    def _known_chat(self, chat_id: int | str) -> Chat:
        chat = self._state.find_chat(chat_id)
        if chat is None:
            raise KeyError(f"unknown chat {chat_id!r}: add_chat it first")
        return chat

    # what happened

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

    # waiting

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

    def _notify(self) -> None:
        """Wake every waiter; the caller holds the lock."""
        self._changed.notify_all()
        for loop, changed in self._async_waiters:
            with contextlib.suppress(RuntimeError):  # the waiter's loop is closed
                loop.call_soon_threadsafe(changed.set)

    # the HTTP side

    def _wake_polls(self) -> None:
        for poll in self._polls:
            poll.wake.set()

    async def _handle(self, request: web.Request) -> web.Response:
        arrived = self._clock()
        name = request.match_info["method"]
        method = METHOD_NAMES.get(name.lower(), name)
        params: dict[str, Any] = {}
        try:
            raw = await _read_fields(request)
            if request.match_info["token"] != self.token or self._revoked:
                raise ApiError(401, "Unauthorized")
            if name.lower() not in METHOD_NAMES:
                raise ApiError(404, "Not Found")
            params = raw  # recorded as sent if decoding refuses them
            params = decode_params(raw)
            outcome = await self._dispatch(method, params)
        except ApiError as exc:
            call, response = self._refusal(method, params, arrived, exc)
        except Exception as exc:
            # a bug in the fake must fail the test loudly, not pass for a transient server error
            self.internal_errors.append(traceback.format_exc())
            refusal = ApiError(500, f"Internal Server Error: bug in the fake: {exc!r}")
            call, response = self._refusal(method, params, arrived, refusal)
        else:
            text = outcome.text
            call = Call(
                method=method,
                params=params,
                time=arrived,
                ok=True,
                status=200,
                result=outcome.result,
                chat_id=outcome.chat_id,
                text=text.text if text is not None else None,
                entities=text.entities if text is not None else (),
            )
            response = web.json_response({"ok": True, "result": outcome.result})
        with self._lock:
            self._calls.append(call)
            self._notify()
            delays = self._state.response_delays
            delay = delays.get(method, 0 if method == "getUpdates" else delays.get(None, 0))
        if delay:
            await asyncio.sleep(delay)
        return response

    def _refusal(
        self, method: str, params: dict[str, Any], arrived: float, error: ApiError
    ) -> tuple[Call, web.Response]:
        with self._lock:
            chat_id = self._chat_of(params)
        call = Call(
            method=method,
            params=params,
            time=arrived,
            ok=False,
            status=error.status,
            error_code=error.status,
            description=error.description,
            parameters=error.parameters,
            chat_id=chat_id,
        )
        return call, web.json_response(error.payload(), status=error.status)

    def _chat_of(self, params: dict[str, Any]) -> int | None:
        if params.get("chat_id") is None:
            return None
        chat = self._state.find_chat(params["chat_id"])
        if chat is None:
            return None
        return chat.id

    async def _dispatch(self, method: str, params: dict[str, Any]) -> Outcome:
        with self._lock:
            fault = self._state.faults.take(method, self._chat_of(params))
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            raise fault.error()
        if method == "getUpdates":
            return await self._get_updates(Params(params))
        with self._lock:
            return METHODS[method](self._state, Params(params))

    async def _get_updates(self, p: Params) -> Outcome:
        offset = p.integer("offset")
        limit = min(max(p.integer("limit", 100) or 100, 1), 100)
        timeout = max(p.number("timeout", 0.0), 0.0)
        allowed = p.get("allowed_updates")
        if allowed is not None and (
            not isinstance(allowed, list) or not all(kind in UPDATE_TYPES for kind in allowed)
        ):
            raise bad_request("can't parse allowed_updates JSON object")
        with self._lock:
            if self._state.webhook is not None:
                raise ApiError(409, errors.WEBHOOK_ACTIVE_CONFLICT)
            if allowed is not None:
                self._state.allowed_updates = list(allowed)
            if offset is not None:
                self._state.confirm_updates(offset)
        for earlier in self._polls:
            earlier.superseded = True
            earlier.wake.set()
        poll = _Poll()
        with self._lock:
            self._polls.append(poll)
            self._notify()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while True:
                poll.wake.clear()
                if poll.superseded:
                    raise ApiError(409, errors.GET_UPDATES_CONFLICT)
                with self._lock:
                    updates = self._state.deliverable_updates(limit)
                remaining = deadline - loop.time()
                if updates or remaining <= 0 or self._closing:
                    return Outcome(updates)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(poll.wake.wait(), remaining)
        finally:
            with self._lock:
                self._polls.remove(poll)
                self._notify()


async def _read_fields(request: web.Request) -> dict[str, Any]:
    """Query string plus form, multipart or JSON body, as Telegram accepts them all."""
    fields: dict[str, Any] = dict(request.query)
    if not request.can_read_body:
        return fields
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON request body") from None
        if not isinstance(body, dict):
            raise bad_request("can't parse JSON request body")
        fields.update(body)
        return fields
    form = await request.post()
    for name, value in form.items():
        if isinstance(value, web.FileField):
            fields[name] = Upload(value.filename, value.content_type, len(value.file.read()))
        else:
            fields[name] = value
    return fields
