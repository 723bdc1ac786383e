"""Runs the real `feedbot` entry point as a subprocess and lets tests wait on its log lines."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import yaml

from tests.fake_telegram.server import FakeTelegram

CHANNEL_ID = -1001234567890
CHANNEL = "@my_ai_news"


def write_config(folder: Path, fake: FakeTelegram | None, **sections: Any) -> Path:
    """A config pointing at the fake Bot API, a SQLite file and an articles folder in `folder`."""
    config: dict[str, Any] = {
        "telegram": {
            "api_base_url": fake.base_url if fake else "http://127.0.0.1:9/bot",
            "channel": CHANNEL,
            "admins": [1000],
        },
        "database": {"url": "sqlite:///feedbot.db"},
        "sources": [{"path": "./articles"}],
        "schedule": {"interval_seconds": 1},
        "publish": {"min_heat": 100, "max_age_hours": 24, "max_per_run": 5},
        "logging": {"level": "DEBUG"},
    }
    for name, value in sections.items():
        if isinstance(value, dict) and isinstance(config.get(name), dict):
            config[name] = {**config[name], **value}
        else:
            config[name] = value
    (folder / "articles").mkdir(exist_ok=True)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


class BotProcess:
    """`python -m bot ARGS` with its stderr collected line by line."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
        full_env = {
            k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL")
        }
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=full_env,
            cwd=cwd,
        )
        self.lines: list[str] = []
        self.stdout = ""
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def log(self) -> str:
        with self._changed:
            return "\n".join(self.lines)

    def count(self, pattern: str) -> int:
        regex = re.compile(pattern)
        with self._changed:
            return sum(1 for line in self.lines if regex.search(line))

    def wait_for_log(self, pattern: str, times: int = 1, timeout: float = 20.0) -> None:
        """Block until `pattern` has appeared `times` times in the log (or the process died)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.count(pattern) < times:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    tail = "\n".join(self.lines[-30:])
                    raise AssertionError(
                        f"log never showed {pattern!r} x{times} (exit {self.proc.poll()}):\n{tail}"
                    )
                self._changed.wait(min(remaining, 0.5))

    def terminate(self, timeout: float = 20.0) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.finish(timeout)

    def kill(self) -> None:
        self.proc.kill()
        self.finish()

    def finish(self, timeout: float = 60.0) -> int:
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
            raise AssertionError(
                f"feedbot did not exit within {timeout} s:\n{self.log[-3000:]}"
            ) from None
        self._reader.join(5)
        self.stdout = out or ""
        return self.proc.returncode


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    full_env = {
        k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL")
    }
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )
