"""The real `feedbot run` in webhook mode and the way Telegram posts to it: the process started
on a free port, complete updates, and plain HTTP requests answered by status, shared by the
webhook tests."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.bot_process import CHANNEL, CHANNEL_ID, BotProcess, write_config
from tests.fake_telegram.server import FakeTelegram
from tests.fake_telegram.updates import message_update

PUBLIC_URL = "https://bot.example.com/telegram"
USER = 4242


@pytest.fixture
def fake(fake_telegram: FakeTelegram) -> FakeTelegram:
    fake_telegram.add_chat(CHANNEL_ID, "channel", title="AI news", username=CHANNEL[1:])
    return fake_telegram


def free_port() -> int:
    # The config wants a real port number (1-65535), so ask the kernel for one that is free now.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def request(
    url: str, body: dict[str, Any] | bytes | None = None, headers: dict[str, str] | None = None
) -> int:
    data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers=headers or {})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def an_update(fake: FakeTelegram, text: str) -> dict[str, Any]:
    """A complete update as Telegram would post it (the fake registers the chat and numbers the
    message); nothing ever fetches it by getUpdates."""
    update_id = fake.push_update(message_update(USER, USER, text))
    (update,) = [u for u in fake.pending_updates() if u["update_id"] == update_id]
    return update


@contextmanager
def running_webhook_bot(
    tmp_path: Path, fake: FakeTelegram, secret: str | None
) -> Iterator[tuple[BotProcess, int]]:
    """`feedbot run` in webhook mode on a free local port (`secret` None: none configured),
    once it has registered its webhook; yields the process and the port, then stops it and
    checks that it exited 0."""
    port = free_port()
    webhook: dict[str, Any] = {"url": PUBLIC_URL, "listen": "127.0.0.1", "port": port}
    if secret is not None:
        webhook["secret_token"] = secret
    config = write_config(
        tmp_path, fake, telegram={"webhook": webhook}, schedule={"interval_seconds": 3600}
    )
    bot = BotProcess("run", "--config", str(config), env={"TELEGRAM_BOT_TOKEN": fake.token})
    try:
        bot.wait_for_log(r"webhook registered")
        yield bot, port
    finally:
        code = bot.terminate()
    assert code == 0, bot.log[-3000:]
