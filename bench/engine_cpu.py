"""The delivery engine's own CPU per message, without HTTP: the real worker, gate, pacing and
SQLite outbox, with a sender that answers every send at once (after one turn of the event
loop). What bench.fanout's engine costs beyond the send itself: claims, outcome writes,
pacing, the gate and the worker's bookkeeping.

    .venv/bin/python -m bench.engine_cpu                       # 10k deliveries at 1000/s (paid)
    .venv/bin/python -m bench.engine_cpu --deliveries 20000 --cap 30
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bot.app import make_uow
from jobs.delivery import DeliveryWorker, Outgoing, Sent
from jobs.pacing import FREE_CAP, Pacer
from jobs.send_gate import SendGate
from storage.database import create_engine, upgrade_to_head
from storage.records import Article
from tests.seeding import seed_fan_out_at


class AnsweringSender:
    """Answers every send with a message id; times the run from the first send to the last."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.sent = 0
        self.started = (0.0, 0.0)  # (CPU, wall) at the first send
        self.done = asyncio.Event()

    async def send(self, chat_id: int, post: Outgoing) -> Sent:
        await asyncio.sleep(0)  # an answer comes back on a later turn of the loop
        self.sent += 1
        if self.sent == 1:
            self.started = (time.process_time(), time.perf_counter())
        if self.sent >= self.expected:
            self.done.set()
        return Sent(self.sent)

    async def send_text(
        self, chat_id: int, html: str, thread_id: int = 0, silent: bool = False
    ) -> Sent:
        return Sent(0)

    async def edit(
        self,
        chat_id: int,
        message_id: int,
        article: Article,
        also: Sequence[Article],
        shown_photo: str | None = None,
    ) -> Sent:
        return Sent(message_id)


async def run(deliveries: int, cap: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'engine.db'}"
        upgrade_to_head(url)
        await seed_fan_out_at(url, range(1_000_000, 1_000_000 + deliveries))
        engine = create_engine(url)
        try:
            sender = AnsweringSender(deliveries)
            gate = SendGate(Pacer(cap=cap, free_cap=FREE_CAP))
            worker = DeliveryWorker(make_uow(engine), sender, gate)
            await worker.prepare()
            task = asyncio.create_task(worker.run())
            await sender.done.wait()
            wall = time.perf_counter()
            await worker.stop()
            await task  # the last outcomes written: their CPU counts too
            cpu = time.process_time()
        finally:
            await engine.dispose()
    cpu0, wall0 = sender.started
    return {
        "rate": (deliveries - 1) / (wall - wall0),
        "cpu_ms_per_message": 1000 * (cpu - cpu0) / (deliveries - 1),
    }


def main() -> None:
    args = _arguments()
    result = asyncio.run(run(args.deliveries, args.cap))
    print(f"engine without HTTP: {args.deliveries} deliveries at cap {args.cap:g}/s")
    for key, value in result.items():
        print(f"  {key}: {value:.3f}")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--cap", type=float, default=1000.0)
    return parser.parse_args()


if __name__ == "__main__":
    main()
