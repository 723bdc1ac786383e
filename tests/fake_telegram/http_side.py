"""The HTTP side of the fake: the route every Bot API request takes (token, method name,
decoding, faults, the method itself, the recorded Call), and getUpdates, the one method that waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import traceback
from typing import Any

from aiohttp import web

from tests.fake_telegram import errors
from tests.fake_telegram.calls import Call
from tests.fake_telegram.control import add_control_routes
from tests.fake_telegram.core import FakeCore, Poll
from tests.fake_telegram.errors import ApiError, bad_request
from tests.fake_telegram.methods import METHOD_NAMES, METHODS, Outcome
from tests.fake_telegram.params import Params, Upload, decode_params
from tests.fake_telegram.state import UPDATE_TYPES


class HttpSide(FakeCore):
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
        poll = Poll()
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
