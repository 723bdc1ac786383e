"""Webhook mode and /healthz: the real `feedbot run` process against the fake Bot API, with
updates posted to its local web server the way Telegram posts them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.webserver import WebServer, database_probe
from storage.database import create_engine
from tests.bot_process import BotProcess, write_config
from tests.fake_telegram.server import FakeTelegram
from tests.webhook_process import (
    PUBLIC_URL,
    USER,
    an_update,
    fake,
    free_port,
    request,
    running_webhook_bot,
)

pytestmark = pytest.mark.process
__all__ = ["fake"]  # the fixture, from tests.webhook_process

SECRET = "s3cret-Token_42"
STARTED = r"feedbot started"
LISTENING = r"web server listening on http://127\.0\.0\.1:(\d+)"


def test_webhook_mode_registers_checks_the_secret_and_answers(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    with running_webhook_bot(tmp_path, fake, SECRET) as (bot, port):
        bot.wait_for_log(rf"{LISTENING} \(webhook and /healthz\)")
        bot.wait_for_log(r"webhook registered: Telegram posts updates to https://bot\.example")
        local = f"http://127.0.0.1:{port}"
        assert fake.webhook == {"url": PUBLIC_URL, "secret_token": SECRET, "max_connections": 40}
        (registered,) = fake.calls_of("setWebhook")
        assert registered.params["allowed_updates"] == [
            "message",
            "edited_message",
            "callback_query",
            "my_chat_member",
        ]

        refused = [
            request(f"{local}/telegram", an_update(fake, "/start")),
            request(
                f"{local}/telegram",
                an_update(fake, "/start"),
                {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
            ),
        ]
        assert refused == [403, 403]
        assert (
            request(f"{local}/telegram", {"update_id": 1}, {"X-Telegram-Bot-Api-Secret-Token": "x"})
            == 403
        )
        good = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        assert request(f"{local}/telegram", an_update(fake, "/start"), good) == 200
        fake.wait_for(lambda f: f.sent(USER), what="the answer to /start")
        # Updates are handled one at a time in order: once /help is answered, anything the
        # refused requests could have queued would have been answered too.
        assert request(f"{local}/telegram", an_update(fake, "/help"), good) == 200
        fake.wait_for(lambda f: len(f.sent(USER)) == 2, what="the answer to /help")
        assert len(fake.sent(USER)) == 2

        assert request(f"{local}/healthz") == 200
        assert request(f"{local}/telegram", b"not json", good) == 400
        assert fake.calls_of("getUpdates") == []
        assert fake.calls_of("deleteWebhook") == []
        assert SECRET not in bot.log


def test_polling_mode_serves_healthz_when_a_health_port_is_set(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    port = free_port()
    config = write_config(
        tmp_path,
        fake,
        health={"listen": "127.0.0.1", "port": port},
        schedule={"interval_seconds": 3600},
    )
    bot = BotProcess("run", "--config", str(config), env={"TELEGRAM_BOT_TOKEN": fake.token})
    try:
        bot.wait_for_log(STARTED)
        bot.wait_for_log(rf"{LISTENING} \(/healthz\)")
        assert request(f"http://127.0.0.1:{port}/healthz") == 200
        # No webhook route in polling mode.
        assert request(f"http://127.0.0.1:{port}/telegram", {"update_id": 1}) == 404
        fake.wait_for(lambda f: f.polling, what="a getUpdates long poll")
        assert fake.webhook is None
    finally:
        code = bot.terminate()
    assert code == 0, bot.log[-3000:]


async def test_healthz_is_503_while_the_database_does_not_answer() -> None:
    # Nothing listens on port 1: the connection is refused at once.
    engine = create_engine("postgresql://feedbot@127.0.0.1:1/feedbot")
    server = WebServer("127.0.0.1", free_port(), database_probe(engine, timeout=5))
    await server.start()
    try:
        status = await asyncio.to_thread(request, f"http://127.0.0.1:{server.port}/healthz")
    finally:
        await server.stop()
        await engine.dispose()
    assert status == 503


def test_webhook_without_a_configured_secret_uses_a_random_one(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    with running_webhook_bot(tmp_path, fake, None) as (bot, port):
        registered = fake.webhook
        assert registered is not None and len(registered["secret_token"] or "") >= 32
        local = f"http://127.0.0.1:{port}/telegram"
        assert request(local, an_update(fake, "/start")) == 403
        secret = {"X-Telegram-Bot-Api-Secret-Token": registered["secret_token"]}
        assert request(local, an_update(fake, "/start"), secret) == 200
        fake.wait_for(lambda f: len(f.sent(USER)) == 1, what="the answer to /start")
        assert registered["secret_token"] not in bot.log
