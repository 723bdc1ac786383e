"""jobs.delivery.lanes: the hand-out's turns run in long-lived tasks, reused one turn after
another, a new one only when every lane is busy; a failing turn is logged and its lane goes on;
close waits for the running turns and ends every lane."""

from __future__ import annotations

import asyncio

import pytest

from jobs.delivery.lanes import Lanes


class Turns:
    """Turns that end when the test says so, recording which task ran each."""

    def __init__(self) -> None:
        self.release: dict[str, asyncio.Event] = {}
        self.ran_in: dict[str, asyncio.Task[object] | None] = {}
        self.ended = 0

    async def run(self, job: str) -> None:
        self.ran_in[job] = asyncio.current_task()
        await self.release.setdefault(job, asyncio.Event()).wait()
        if job.startswith("bad"):
            raise RuntimeError(job)

    def end(self, job: str) -> None:
        self.release.setdefault(job, asyncio.Event()).set()

    def on_end(self) -> None:
        self.ended += 1


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_one_lane_runs_turns_one_after_another() -> None:
    turns = Turns()
    lanes = Lanes(turns.run, turns.on_end)
    for job in ("a", "b", "c"):
        turns.end(job)
        lanes.start(job)
        assert lanes.busy == 1
        await settle()
        assert lanes.busy == 0
    assert turns.ended == 3
    assert len({turns.ran_in[job] for job in "abc"}) == 1
    await lanes.close()


async def two_started_a_ended(turns: Turns) -> Lanes[str]:
    """Lanes that ran "a" and "b" at once (two lanes), "a" since ended, "b" still running."""
    lanes = Lanes(turns.run, turns.on_end)
    lanes.start("a")
    lanes.start("b")
    await settle()
    assert lanes.busy == 2 and turns.ran_in["a"] is not turns.ran_in["b"]
    turns.end("a")
    await settle()
    assert lanes.busy == 1
    return lanes


async def test_a_lane_is_added_only_while_every_lane_is_busy() -> None:
    turns = Turns()
    lanes = await two_started_a_ended(turns)
    turns.end("c")
    lanes.start("c")  # a's lane is idle: it runs c
    await settle()
    assert turns.ran_in["c"] is turns.ran_in["a"]
    turns.end("b")
    await lanes.close()
    assert lanes.busy == 0 and turns.ended == 3


async def test_a_failing_turn_is_logged_and_its_lane_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    turns = Turns()
    lanes = Lanes(turns.run, turns.on_end)
    turns.end("bad one")
    lanes.start("bad one")
    await settle()
    assert "delivery task failed" in caplog.text and "bad one" in caplog.text
    turns.end("next")
    lanes.start("next")
    await settle()
    assert turns.ran_in["next"] is turns.ran_in["bad one"] and turns.ended == 2
    await lanes.close()


async def test_close_waits_for_the_running_turns_and_ends_every_lane() -> None:
    turns = Turns()
    lanes = await two_started_a_ended(turns)
    closing = asyncio.create_task(lanes.close())
    await settle()
    assert not closing.done()  # b still runs
    turns.end("b")
    await closing
    tasks = {turns.ran_in["a"], turns.ran_in["b"]}
    assert all(task is not None and task.done() for task in tasks)
    assert turns.ended == 2
