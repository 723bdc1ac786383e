"""Run the fake standalone: ``python -m tests.fake_telegram --port 8081`` (for benchmarks)."""

from __future__ import annotations

import argparse
import signal
import threading

from tests.fake_telegram.core import DEFAULT_TOKEN
from tests.fake_telegram.server import FakeTelegram


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fake_telegram", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--global-rate", type=float, default=30.0)
    parser.add_argument("--no-rate-limits", action="store_true")
    parser.add_argument(
        "--auto-chats",
        action="store_true",
        help="treat any numeric chat id as an existing chat (no add_chat needed)",
    )
    parser.add_argument(
        "--control", action="store_true", help="serve /control/<action> for benchmarks"
    )
    args = parser.parse_args()
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    fake = FakeTelegram(
        args.token,
        enforce_rate_limits=not args.no_rate_limits,
        global_rate=args.global_rate,
        host=args.host,
        port=args.port,
        auto_create_chats=args.auto_chats,
        control=args.control,
    )
    with fake:
        print(f"base_url {fake.base_url}", flush=True)
        print(f"base_file_url {fake.base_file_url}", flush=True)
        stopping.wait()
        print(f"stopping after {len(fake.calls)} calls, {fake.count_429} answered 429", flush=True)


if __name__ == "__main__":
    main()
