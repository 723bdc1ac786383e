"""Starts the fake Bot API in its own process (so its CPU is not the bot's) and talks to its
/control endpoints."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import yaml

TOKEN = "123456:BENCH-TOKEN"
CHANNEL = "@my_ai_news"


class FakeServer:
    def __init__(self, *, global_rate: float, rate_limits: bool = True) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.fake_telegram",
                "--auto-chats",
                "--control",
                "--token",
                TOKEN,
                "--global-rate",
                str(global_rate),
                *([] if rate_limits else ["--no-rate-limits"]),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline().split()
        self.base_url = first[1]
        self.root = self.base_url.rsplit("/", 1)[0]

    def __enter__(self) -> FakeServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def write_config(self, folder: Path, database_url: str, **sections: Any) -> Path:
        """folder/config.yaml for `feedbot run` against this fake: the channel, the database,
        folder/articles (made here) and one scheduled run an hour; `sections` are added, a
        mapping merged into the section of that name, anything else replacing it."""
        config: dict[str, Any] = {
            "telegram": {"api_base_url": self.base_url, "channel": CHANNEL},
            "database": {"url": database_url},
            "sources": [{"path": "articles"}],
            "schedule": {"interval_seconds": 3600},
        }
        for name, value in sections.items():
            merge = isinstance(value, dict) and isinstance(config.get(name), dict)
            config[name] = {**config[name], **value} if merge else value
        (folder / "articles").mkdir(exist_ok=True)
        path = folder / "config.yaml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        return path

    def _call(self, path: str, body: dict[str, Any] | list[Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.root}/control/{path}", data=data, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def add_chat(self, chat_id: int, type_: str, username: str | None = None) -> None:
        self._call("add_chat", {"chat_id": chat_id, "type": type_, "username": username})

    def push_update(self, update: dict[str, Any]) -> float:
        return float(self._call("push_update", update)["time"])

    def push_updates(self, updates: list[dict[str, Any]]) -> float:
        return float(self._call("push_updates", updates)["time"])

    def stats(
        self, chat_id: int | None = None, chats: tuple[int, int] | None = None
    ) -> dict[str, Any]:
        """`chats` (first, last): also count the sends to that range of chat ids."""
        query = [f"chat_id={chat_id}"] if chat_id is not None else []
        if chats is not None:
            query += [f"first={chats[0]}", f"last={chats[1]}"]
        suffix = f"?{'&'.join(query)}" if query else ""
        result: dict[str, Any] = self._call(f"stats{suffix}")
        return result

    def report(self, first_chat: int) -> dict[str, Any]:
        """tests.fake_telegram.report over the chats from `first_chat` up."""
        result: dict[str, Any] = self._call(f"report?from={first_chat}")
        return result

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
