"""Where the hand-out's sends run: long-lived tasks ("lanes"), each running one delivery's turn
at a time, then waiting for the next. A task per send cost, at every message of a fan-out, its
creation, its entry in the event loop's set of tasks and its done callback; a lane is made only
when every lane is busy, so there are never more lanes than turns that ran at once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger("jobs.delivery.worker")  # the worker's lines, as before the split
J = TypeVar("J")  # what a turn is given: the delivery, and what the hand-out found for it


class Lanes(Generic[J]):
    """`start` a turn (`run(job)`); `ended` is called after each turn, whatever its end;
    `close` once nothing more is started: waits for the running turns, ends every lane."""

    def __init__(self, run: Callable[[J], Awaitable[None]], ended: Callable[[], None]) -> None:
        self._run = run
        self._ended = ended
        self._idle: list[asyncio.Future[J | None]] = []  # one per idle lane; None: it ends
        self._lanes: set[asyncio.Task[None]] = set()
        self._closing = False
        self.busy = 0  # turns started and not yet ended

    def start(self, job: J) -> None:
        self.busy += 1
        if self._idle:
            self._idle.pop().set_result(job)  # that lane runs it on the loop's next turn
            return
        lane = asyncio.create_task(self._lane(job), name="delivery lane")
        self._lanes.add(lane)
        lane.add_done_callback(self._lanes.discard)

    async def _lane(self, job: J) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                await self._run(job)
            except Exception:  # a bug in one turn must not end the lane with its chat's turn
                log.exception("delivery task failed")
            finally:
                self.busy -= 1
                self._ended()
            if self._closing:
                return
            waiting: asyncio.Future[J | None] = loop.create_future()
            self._idle.append(waiting)
            next_job = await waiting
            if next_job is None:
                return
            job = next_job

    async def close(self) -> None:
        self._closing = True
        idle, self._idle = self._idle, []
        for waiting in idle:
            waiting.set_result(None)
        if self._lanes:
            await asyncio.gather(*self._lanes, return_exceptions=True)
