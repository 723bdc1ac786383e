"""The bot's HTTP side: Telegram's webhook (POST, checked against the secret token) and
GET /healthz (200 while the database answers) for compose healthchecks and load balancers.

PTB's run_webhook serves only its own route, hence this small tornado app (tornado ships with
python-telegram-bot[webhooks]). It knows nothing of Telegram objects: an accepted update is handed
on as the JSON mapping Telegram sent."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
HEALTH_TIMEOUT_SECONDS = 3.0
# Updates are a few kilobytes; Telegram's biggest stay far below this.
MAX_BODY_BYTES = 1024 * 1024

Probe = Callable[[], Awaitable[bool]]
UpdateSink = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class WebhookRoute:
    path: str  # the public URL's path, e.g. "telegram"
    secret: str
    accept: UpdateSink


def database_probe(engine: AsyncEngine, timeout: float = HEALTH_TIMEOUT_SECONDS) -> Probe:
    """SELECT 1 within `timeout`, answered within `timeout` too: against a server that stopped
    answering, cancelling the query waits for the driver's own cancellation (psycopg: ~7 s
    more), so the check runs as a task that is left to finish its cancellation on its own."""
    unfinished: set[asyncio.Task[None]] = set()  # referenced until done, or the loop drops them

    async def select_one() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    def forget(task: asyncio.Task[None]) -> None:
        unfinished.discard(task)
        if not task.cancelled():
            task.exception()  # seen: its failure was logged by the probe that waited for it

    async def probe() -> bool:
        check = asyncio.create_task(select_one())
        unfinished.add(check)
        check.add_done_callback(forget)
        done, _ = await asyncio.wait({check}, timeout=timeout)
        failure = check.exception() if done else TimeoutError()
        if not done:
            check.cancel()
        if failure is not None:  # any failure means "not healthy"; the reason goes to the log
            log.warning("health check: the database does not answer (%s)", type(failure).__name__)
            return False
        return True

    return probe


def secret_matches(expected: str, given: str | None) -> bool:
    # Constant time: the secret is the only thing between the internet and the update queue.
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


class _HealthHandler(tornado.web.RequestHandler):
    def initialize(self, probe: Probe) -> None:
        self.probe = probe

    async def get(self) -> None:
        healthy = await self.probe()
        self.set_status(200 if healthy else 503)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish("ok\n" if healthy else "database unreachable\n")

    async def head(self) -> None:
        self.set_status(200 if await self.probe() else 503)


@tornado.web.stream_request_body
class _WebhookHandler(tornado.web.RequestHandler):
    """The secret and the declared size are checked from the headers, before a byte of the body
    is read (tornado would otherwise buffer the whole body before post() runs); a refused
    request's connection is closed after the answer, so its body is never read."""

    def initialize(self, route: WebhookRoute) -> None:
        self.route = route
        self._chunks: list[bytes] = []

    def prepare(self) -> None:
        if self.request.method != "POST":
            raise tornado.web.HTTPError(405)
        if not secret_matches(self.route.secret, self.request.headers.get(SECRET_HEADER)):
            log.warning("webhook: refused a request from %s (wrong secret)", self.request.remote_ip)
            raise tornado.web.HTTPError(403)
        declared = self.request.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            log.warning("webhook: refused a %s-byte body (over %d)", declared, MAX_BODY_BYTES)
            raise tornado.web.HTTPError(413)

    def data_received(self, chunk: bytes) -> None:
        # A chunked body declares no size: the server's max_body_size closes it at the cap.
        self._chunks.append(chunk)

    async def post(self) -> None:
        body, self._chunks = b"".join(self._chunks), []
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            log.warning("webhook: refused a request body that is not JSON (%s)", exc)
            raise tornado.web.HTTPError(400) from None
        except RecursionError:
            log.warning("webhook: refused a JSON body nested too deeply to read")
            raise tornado.web.HTTPError(400) from None
        if not isinstance(data, dict):
            log.warning("webhook: refused a JSON body that is not an update object")
            raise tornado.web.HTTPError(400)
        # An update the library cannot parse is logged and answered 200 all the same:
        # Telegram would otherwise send it again, and again.
        await self.route.accept(data)
        self.set_status(200)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        # HTTPErrors were logged above in one line; tornado would add a traceback.
        if not isinstance(value, tornado.web.HTTPError):
            super().log_exception(typ, value, tb)


class WebServer:
    """One listening socket serving /healthz and, in webhook mode, the webhook route."""

    def __init__(self, listen: str, port: int, probe: Probe, webhook: WebhookRoute | None = None):
        routes: list[Any] = [(HEALTH_PATH, _HealthHandler, {"probe": probe})]
        if webhook is not None:
            # Routes are regular expressions: a "." in the URL's path must match only a ".".
            routes.append((f"/{re.escape(webhook.path)}", _WebhookHandler, {"route": webhook}))
        self.listen = listen
        self.requested_port = port
        self.has_webhook = webhook is not None
        self._app = tornado.web.Application(routes, log_function=_quiet_access_log)
        self._server: tornado.httpserver.HTTPServer | None = None
        self.port: int | None = None

    async def start(self) -> None:
        """Bind and serve; call inside the running event loop."""
        sockets = tornado.netutil.bind_sockets(self.requested_port, self.listen)
        # max_body_size: no request body, on any route, is ever held beyond the cap.
        self._server = tornado.httpserver.HTTPServer(
            self._app, xheaders=True, max_body_size=MAX_BODY_BYTES
        )
        self._server.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]
        serves = "webhook and /healthz" if self.has_webhook else "/healthz"
        log.info("web server listening on http://%s:%d (%s)", self.listen, self.port, serves)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None


def _quiet_access_log(handler: tornado.web.RequestHandler) -> None:
    # Probes arrive every few seconds: access lines only at DEBUG.
    log.debug(
        "%s %s -> %d",
        handler.request.method,
        handler.request.path,
        handler.get_status(),
    )
