"""The webhook facing the internet: the secret and the size are checked from the headers before
any body is read, hostile bodies get 4xx (never a 500 with a traceback), and bad or repeated
updates are answered 200 and handled at most once. The real `feedbot run` process."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.bot_process import BotProcess, write_config
from tests.fake_telegram.server import FakeTelegram
from tests.test_webhook import PUBLIC_URL, USER, an_update, fake, free_port, request

pytestmark = pytest.mark.process
__all__ = ["fake"]  # the fixture, shared with test_webhook

SECRET = "hardening-Secret_7"
GOOD = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
HUGE = 90 * 1024 * 1024


@pytest.fixture
def webhook_bot(fake: FakeTelegram, tmp_path: Path) -> Iterator[tuple[BotProcess, str]]:
    port = free_port()
    webhook = {"url": PUBLIC_URL, "listen": "127.0.0.1", "port": port, "secret_token": SECRET}
    config = write_config(
        tmp_path, fake, telegram={"webhook": webhook}, schedule={"interval_seconds": 3600}
    )
    bot = BotProcess("run", "--config", str(config), env={"TELEGRAM_BOT_TOKEN": fake.token})
    try:
        bot.wait_for_log(r"webhook registered")
        yield bot, f"http://127.0.0.1:{port}/telegram"
        assert "Traceback" not in bot.log, bot.log[-3000:]
        assert SECRET not in bot.log
    finally:
        code = bot.terminate()
    assert code == 0, bot.log[-3000:]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def open_post(url: str, headers: dict[str, str], length: int) -> socket.socket:
    """A POST whose headers are sent and whose body is not (yet)."""
    host, port = url.removeprefix("http://").split("/")[0].split(":")
    conn = socket.create_connection((host, int(port)), timeout=15)
    lines = [
        "POST /telegram HTTP/1.1",
        f"Host: {host}",
        "Content-Type: application/json",
        f"Content-Length: {length}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return conn


def status_of(conn: socket.socket) -> int:
    head = conn.recv(4096)  # times out (fails the test) if the server waits for the body
    return int(head.split(b" ", 2)[1])


def push_body(conn: socket.socket, total: int) -> int:
    """Send up to `total` bytes of body; returns how many the server took before closing."""
    chunk, sent = b"[" * 65536, 0
    try:
        while sent < total:
            sent += conn.send(chunk)
    except OSError:
        pass
    return sent


def test_refusals_come_from_the_headers_before_the_body(
    webhook_bot: tuple[BotProcess, str],
) -> None:
    bot, url = webhook_bot
    before = rss_kib(bot.proc.pid)
    strangers = [open_post(url, {}, HUGE) for _ in range(3)]
    assert [status_of(conn) for conn in strangers] == [403, 403, 403]
    oversized = open_post(url, GOOD, 2 * 1024 * 1024)
    assert status_of(oversized) == 413
    # The server closed those connections instead of reading the bodies.
    taken = [push_body(conn, HUGE) for conn in [*strangers, oversized]]
    for conn in [*strangers, oversized]:
        conn.close()
    assert max(taken) < HUGE // 4, taken
    assert rss_kib(bot.proc.pid) - before < 20 * 1024
    assert bot.count(r"webhook: refused a request from .* \(wrong secret\)") == 3
    # 1 MB is the cap.
    assert request(url, b"[" * (1024 * 1024 + 10), GOOD) == 413


def test_hostile_json_gets_400_and_the_bot_keeps_answering(
    fake: FakeTelegram, webhook_bot: tuple[BotProcess, str]
) -> None:
    bot, url = webhook_bot
    deep = b"[" * 200_000 + b"]" * 200_000
    assert request(url, deep, GOOD) == 400
    assert request(url, b'{"update_id": 1, "message": ' * 5000 + b"1" + b"}" * 5000, GOOD) == 400
    assert request(url, b"\xff\xfe garbage", GOOD) == 400
    bot.wait_for_log(r"webhook: refused a JSON body nested too deeply")
    assert request(url, an_update(fake, "/help"), GOOD) == 200
    fake.wait_for(lambda f: f.sent(USER), what="the answer after the garbage")


def test_bad_and_repeated_updates_are_answered_200_and_handled_at_most_once(
    fake: FakeTelegram, webhook_bot: tuple[BotProcess, str]
) -> None:
    bot, url = webhook_bot
    broken: dict[str, Any] = an_update(fake, "/start")
    del broken["message"]["chat"]["type"]
    assert request(url, broken, GOOD) == 200  # else Telegram sends it again, forever
    bot.wait_for_log(rf"skipped update {broken['update_id']}: cannot be parsed")
    once = an_update(fake, "/help")
    assert [request(url, once, GOOD) for _ in range(3)] == [200, 200, 200]
    fake.wait_for(lambda f: f.sent(USER), what="the answer to /help")
    settle = an_update(fake, "/start")
    assert request(url, settle, GOOD) == 200
    fake.wait_for(lambda f: len(f.sent(USER)) >= 2, what="the answer to /start")
    texts = [json.dumps(call.params)[:40] for call in fake.sent(USER)]
    assert len(fake.sent(USER)) == 2, texts
    assert bot.count(rf"skipped update {once['update_id']}: a repeat") == 2
