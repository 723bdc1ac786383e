"""Running the Application until a stop signal: updates by long polling or by webhook, the web
server (/healthz, the webhook route) and the database lease watch.

The start and stop order mirrors python-telegram-bot's run_polling (initialize, post_init,
receive updates, start; then stop receiving, stop, post_stop, shutdown, post_shutdown), and the
loop runs with run_forever as there, so application.stop_running() works here too."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
from typing import TYPE_CHECKING, Any, NoReturn

from telegram.error import BadRequest, InvalidToken
from telegram.ext import Application

from bot.config import Config, ConfigError
from bot.services import services
from bot.updates import FeedBot, parse_update
from storage.lease import Lease

if TYPE_CHECKING:
    from bot.webserver import WebhookRoute, WebServer

log = logging.getLogger(__name__)

LEASE_CHECK_SECONDS = 10.0
EXIT_LEASE_LOST = 3

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


class Runner:
    def __init__(
        self,
        application: AnyApplication,
        config: Config,
        lease: Lease,
        allowed_updates: list[str],
        lease_check_seconds: float = LEASE_CHECK_SECONDS,
    ) -> None:
        self.application = application
        self.config = config
        self.lease = lease
        self.allowed_updates = allowed_updates
        self.lease_check_seconds = lease_check_seconds
        self.servers: list[WebServer] = []
        self.lease_lost = False
        self.token_rejected = False
        if isinstance(application.bot, FeedBot):
            application.bot.when_token_rejected(self._stop_for_token)
        self._watch: asyncio.Task[None] | None = None

    def run(self) -> int:
        """Blocks until SIGINT/SIGTERM (exit 0), until the lease is lost (EXIT_LEASE_LOST) or
        until Telegram rejects the token (`token_rejected`, then InvalidToken is raised)."""
        app = self.application
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGABRT):
            loop.add_signal_handler(sig, _raise_system_exit)
        try:
            loop.run_until_complete(app.initialize())
            if app.post_init:
                loop.run_until_complete(app.post_init(app))
            loop.run_until_complete(self._receive_updates())
            loop.run_until_complete(app.start())
            self._watch = loop.create_task(self._watch_lease(), name="lease-watch")
            loop.run_forever()
        except (KeyboardInterrupt, SystemExit):
            log.debug("stop signal received; shutting down")
        finally:
            try:
                loop.run_until_complete(self._shutdown())
            finally:
                loop.close()
        if self.token_rejected:
            raise InvalidToken()
        return EXIT_LEASE_LOST if self.lease_lost else 0

    def _stop_for_token(self) -> None:
        # Every request fails from now on: stop, so that a restart policy (or a person) acts.
        # No delivery is failed for it (the worker hands back what it held, jobs.delivery).
        self.token_rejected = True
        self.application.stop_running()

    async def _receive_updates(self) -> None:
        app = self.application
        webhook = self.config.telegram.webhook
        health = self.config.health
        route: WebhookRoute | None = None
        if webhook is not None or health.port is not None:
            # Imported only when a server is wanted: tornado costs a polling bot ~9 MB of RSS.
            from bot.webserver import WebhookRoute, WebServer, database_probe

            probe = database_probe(services(app).engine)
            if webhook is not None:
                secret = webhook.secret_token
                if secret is None:
                    # Telegram then sends no header, and anyone who finds the URL could post
                    # updates: use a fresh random secret for this run instead.
                    secret = secrets.token_urlsafe(32)
                    log.info(
                        "no telegram.webhook.secret_token set; using a random one for this run"
                    )
                route = WebhookRoute(webhook.path, secret, self._enqueue)
                self.servers.append(WebServer(webhook.listen, webhook.port, probe, route))
            if health.port is not None and (webhook is None or health.port != webhook.port):
                self.servers.append(WebServer(health.listen, health.port, probe))
        for server in self.servers:
            await server.start()
        if webhook is None or route is None:
            assert app.updater is not None
            await app.updater.start_polling(allowed_updates=self.allowed_updates)
            return
        try:
            await app.bot.set_webhook(
                url=webhook.url, secret_token=route.secret, allowed_updates=self.allowed_updates
            )
        except BadRequest as exc:
            raise ConfigError(
                f"telegram.webhook.url: Telegram refused the webhook {webhook.url!r} "
                f"({exc.message})"
            ) from None
        log.info("webhook registered: Telegram posts updates to %s", webhook.url)

    async def _enqueue(self, data: dict[str, Any]) -> None:
        app = self.application
        update = parse_update(data, app.bot)
        if update is not None:  # a malformed update must not stop the ones after it
            await app.update_queue.put(update)

    async def _watch_lease(self) -> None:
        while True:
            await asyncio.sleep(self.lease_check_seconds)
            if not await asyncio.to_thread(self.lease.check):
                log.error("stopping: another instance holds the lease on %s now", self.lease.where)
                self.lease_lost = True
                self.application.stop_running()
                return

    async def _shutdown(self) -> None:
        app = self.application
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        for server in self.servers:
            await server.stop()
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
            if app.post_stop:
                await app.post_stop(app)
        await app.shutdown()
        if isinstance(app.bot, FeedBot):
            await app.bot.close_requests()
        if app.post_shutdown:
            await app.post_shutdown(app)


def _raise_system_exit() -> NoReturn:
    raise SystemExit
