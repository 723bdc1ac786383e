"""The delivery worker: drains the outbox, paced by the shared SendGate, and applies the step
jobs.delivery.transitions decides for each send's outcome (row writes, pacer updates and log
lines each in one place here; decisions none)."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar, assert_never

from jobs.delivery.claimed import ClaimedPosts
from jobs.delivery.claims import Claims, SoleClaims
from jobs.delivery.edits import edit_target, kept_photo
from jobs.delivery.hand_out import Admitted, HandOut, wait_and_clear
from jobs.delivery.lanes import Lanes
from jobs.delivery.outcomes import Outgoing, Sender, Sent, Transient
from jobs.delivery.sent_batch import SentBatch
from jobs.delivery.transitions import (
    DEFAULT_RETRY,
    DeactivateChat,
    DeactivateThread,
    DeferChat,
    Fail,
    Halt,
    MarkSent,
    Migrate,
    Postpone,
    Retry,
    RetryPolicy,
    Step,
    edit_transition,
    transition,
)
from jobs.delivery.writes import DB_BACKOFF, OutcomeWriter, deferral
from jobs.pacing import SendTicket
from jobs.send_gate import Naps, SendGate
from storage.errors import DB_UNAVAILABLE
from storage.records import Article, Delivery, DeliveryKind
from storage.unit_of_work import Transaction, UowFactory

log = logging.getLogger(__name__)
R = TypeVar("R")

# Claimed deliveries waiting for their turn, at most, claimed in halves: a claim costs about as
# much for 250 rows as for 100. 1000 sent no faster (bench.bot_rss at 1000/s) and held 1 MB more.
MAX_CLAIMED = 500


class DeliveryWorker:
    """One per process: `prepare()`, then `run()` until `stop()`; `wake()` on new deliveries."""

    def __init__(
        self,
        uow: UowFactory,
        sender: Sender,
        gate: SendGate,
        *,
        retry: RetryPolicy = DEFAULT_RETRY,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
        jitter: Callable[[], float] = random.random,
        idle_poll: float = 30.0,
        flush_every: float = 0.1,
        claims: Claims | None = None,
    ) -> None:
        self._uow = uow
        self._claimer: Claims = claims or SoleClaims(uow)
        self._sender = sender
        # The gate is shared with the handlers' replies (bot.rate_limit); its pacer holds the
        # per-chat and overall state the worker schedules by.
        self._gate = gate
        self._pacer = gate.pacer
        self._retry = retry
        self._monotonic = monotonic
        self._wall = wall
        self._jitter = jitter
        self._idle_poll = idle_poll
        self._stopping = asyncio.Event()
        self._naps = Naps()  # waits in run(), ended by a stop
        self._wakeup = asyncio.Event()
        self._task_done = asyncio.Event()
        # the turns the hand-out started (a send in flight, its outcome being applied), one
        # per chat at most
        self._lanes: Lanes[tuple[Delivery, Admitted | None]] = Lanes(self._turn, self._turn_ended)
        self._posts = ClaimedPosts()
        self._hand = HandOut(gate, self._posts, self._stopping, monotonic, self._start)
        self._pump: asyncio.Task[None] | None = None
        self._write = OutcomeWriter(uow, self._stopping)
        self._sent_batch = SentBatch(self._write, flush_every)
        self._flusher: asyncio.Task[None] | None = None
        self.sent = 0  # counters for logs, /stats and tests
        self.failed = 0

    @property
    def _horizon(self) -> int:
        # Claim about two seconds of work ahead (at most MAX_CLAIMED): enough to keep the pace,
        # little enough that a stop or a 429 has few claimed rows to hand back.
        return max(20, min(int(self._pacer.rate * 2), MAX_CLAIMED))

    def wake(self) -> None:
        self._wakeup.set()

    async def prepare(self) -> None:
        """Before `run`: give back what a dead process left claimed (and join the others)."""
        await self._claimer.start()

    async def run(self) -> None:
        log.info("delivery worker started (cap %g messages/s)", self._pacer.cap)
        self._flusher = asyncio.create_task(self._sent_batch.run(self._stopping))
        self._pump = asyncio.create_task(self._hand.run())
        self._pump.add_done_callback(self._pump_ended)  # logged if a bug ends it
        outage = 0
        try:
            await self._sleep_until(self._claimer.ready_at())
            while not self._stopping.is_set():
                try:
                    await self._step()
                    outage = 0
                except DB_UNAVAILABLE as exc:
                    outage += 1
                    pause = DB_BACKOFF.longest(outage)
                    log.warning(
                        "database unavailable (%s); delivery pauses, next try in %.0f s",
                        type(exc).__name__,
                        pause,
                    )
                    await self._sleep_until(self._monotonic() + pause)
        finally:
            await self._drain()
            await self._claimer.stop()
            log.info("delivery worker stopped (%d sent, %d failed)", self.sent, self.failed)

    @property
    def _owed(self) -> int:
        """Claimed deliveries not yet done: queued for their chat's turn, or sending."""
        return len(self._hand.turns) + self._lanes.busy

    def _claim_due(self) -> bool:
        """Whether enough claimed work is done to claim again: in chunks, not one row per
        finished send, as each claim is a round trip."""
        owed = self._owed
        return not owed or self._horizon - owed >= max(10, self._horizon // 2)

    async def _step(self) -> None:
        if not self._claim_due():
            await wait_and_clear(self._task_done, None)
        elif await self._claim(room := self._horizon - self._owed) < room:
            await wait_and_clear(self._wakeup, await self._until_next_due())

    async def stop(self) -> None:
        """Stop claiming, hand back what has not been sent, let what is sending finish."""
        self._stopping.set()
        self._wakeup.set()
        self._task_done.set()
        self._hand.stop()
        self._naps.wake_all()
        self._gate.wake_all()

    async def _until_next_due(self) -> float:
        """How long the worker may sleep when the outbox has nothing due."""
        if self._owed:
            return 0.5  # sends are scheduled; look again soon for newly due work
        async with self._uow() as tx:
            due = await self._claimer.next_due(tx, self._pacer.blocked_chats(self._monotonic()))
        if due is None:
            return self._idle_poll
        return min(self._idle_poll, max((due - self._wall()).total_seconds(), 0.05))

    async def _claim(self, room: int) -> int:
        now = self._monotonic()
        self._pacer.forget_idle(now)
        blocked = self._pacer.blocked_chats(now)
        async with self._uow() as tx:
            batch = await self._claimer.claim(tx, self._wall(), room, blocked)
            await self._posts.read(tx, batch)
        for delivery in batch:
            if self._hand.turns.add(delivery, self._pacer.chat_ready_at(delivery.chat_id)):
                self._hand.ready.set()
        return len(batch)

    def _pump_ended(self, task: asyncio.Task[None]) -> None:
        self._task_done.set()
        if not task.cancelled() and task.exception() is not None:
            log.error("delivery task failed", exc_info=task.exception())

    def _turn_ended(self) -> None:
        if self._claim_due():  # else the worker, woken, would only wait again
            self._task_done.set()

    def _start(self, delivery: Delivery, admitted: Admitted | None) -> None:
        self._lanes.start((delivery, admitted))

    async def _turn(self, job: tuple[Delivery, Admitted | None]) -> None:
        delivery, admitted = job
        chat = delivery.chat_id
        try:
            if admitted is None:
                await self._send(delivery)
            else:
                await self._post(delivery, *admitted)
        finally:
            free_at = self._pacer.chat_ready_at(chat)
            if self._hand.turns.end_turn(chat, free_at):
                self._hand.ready.set()
            else:
                self._claimer.chat_idle(chat, free_at)

    async def _sleep_until(self, at: float) -> bool:
        """False when a stop came first."""
        delay = at - self._monotonic()
        if delay > 0 and not self._stopping.is_set():
            await self._naps.nap(delay)  # ended early by a stop; no task, no cancellation
        return not self._stopping.is_set()

    async def _send(self, delivery: Delivery) -> None:
        if delivery.kind is DeliveryKind.EDIT:
            await self._edit(delivery)
            return
        if delivery.kind is DeliveryKind.ALERT:
            await self._send_alert(delivery)
            return
        article = await self._article(delivery)
        if article is None:
            self._posts.forget([delivery])
            await self._write(lambda tx: tx.outbox.mark_failed(delivery.id, "article deleted"))
            return
        await self._post(delivery, article, None)

    async def _post(self, delivery: Delivery, article: Article, ticket: SendTicket | None) -> None:
        post = Outgoing(article, self._posts.also(article), self._posts.options(delivery))
        outcome = await self._gated(
            delivery, lambda: self._sender.send(delivery.chat_id, post), ticket
        )
        if outcome is None:
            return
        step = transition(outcome, delivery.attempts, self._retry, self._jitter())
        await self._apply(delivery, f"article {article.id} to chat {delivery.chat_id}", step)

    async def _send_alert(self, delivery: Delivery) -> None:
        """An operator alert: its text was written when it was decided, so a restart sends the
        same words; through the same gate and turn as a post."""
        body, silent = delivery.body or "", self._posts.options(delivery).silent
        outcome = await self._gated(
            delivery,
            lambda: self._sender.send_text(delivery.chat_id, body, delivery.thread_id, silent),
        )
        if outcome is None:
            return
        step = transition(outcome, delivery.attempts, self._retry, self._jitter())
        await self._apply(delivery, f"alert {delivery.alert_key} to chat {delivery.chat_id}", step)

    async def _article(self, delivery: Delivery) -> Article | None:
        """The delivery's article (None for an alert, or for an article deleted since)."""
        article_id = delivery.article_id
        if article_id is None:
            return None
        article = self._posts.article(article_id)
        if article is None:
            article = await self._write(lambda tx: tx.articles.article(article_id))
        return article

    async def _edit(self, delivery: Delivery) -> None:
        """An edit of a channel post, from the story as stored now, once its post is sent; a
        message for the limits (same turn and gate as a send)."""
        await self._sent_batch.flush()  # the post may have been sent a moment ago: its id is needed
        target = await self._write(lambda tx: edit_target(tx, delivery))
        lead = target.lead
        if lead is None:
            await self._write(lambda tx: tx.outbox.mark_failed(delivery.id, "article deleted"))
            return
        outcome = target.refusal or await self._gated(
            delivery,
            lambda: self._sender.edit(
                delivery.chat_id, target.message_id, lead, target.also, target.shown_photo
            ),
        )
        if outcome is None:
            return
        if isinstance(outcome, Sent) and outcome.photo and outcome.photo != target.shown_photo:
            photo = outcome.photo  # the edit replaced the photo: the post shows this one now
            await self._write(lambda tx: tx.outbox.record_photo(target.post_id, photo))
        step = edit_transition(outcome, delivery.attempts, self._retry, self._jitter())
        where = f"edit {delivery.revision} of article {lead.id}'s post in chat {delivery.chat_id}"
        await self._apply(delivery, where, step)

    async def _gated(
        self, delivery: Delivery, call: Callable[[], Awaitable[R]], ticket: SendTicket | None = None
    ) -> R | Transient | None:
        """Make the request through the gate (unless `ticket`: the hand-out passed it); None
        when a stop came first (the row is given back). The gate checks the in-flight limit and
        the rolling window at the moment of sending, so that sends queued behind a slow server
        do not leave in one bunch."""
        if ticket is not None and self._stopping.is_set():
            self._gate.answered(ticket)  # a stop since the hand-out: given back, as at the gate
            ticket = None
        if ticket is None:
            if not await self._gate.wait_for_room(cancel=self._stopping):
                await self._release(delivery)
                return None
            ticket = self._gate.sending(delivery.chat_id)
        try:
            return await call()
        except Exception as exc:  # a bug in the sender must not kill the worker
            log.exception("sender crashed on delivery %d", delivery.id)
            return Transient(f"internal error: {exc!r}")
        finally:
            self._gate.answered(ticket)

    async def _release(self, delivery: Delivery) -> None:
        """A stop came before this claimed delivery was sent: hand it back, unsent."""
        self._posts.forget([delivery])
        await self._write(lambda tx: tx.outbox.mark_released([delivery.id]))

    async def _apply(self, delivery: Delivery, where: str, step: Step) -> None:
        """The one place a step takes effect: counters, pacer, log line, row write."""
        now = self._wall()
        chat = delivery.chat_id
        match step:
            case MarkSent(message_id, note, photo):
                self.sent += 1
                if note:
                    log.info("sent %s (%s)", where, note)
                else:
                    log.debug("sent %s as message %s", where, message_id)
                await self._sent_batch.add(delivery.id, message_id, now, kept_photo(chat, photo))
            case DeferChat(seconds, error):
                # The broadcast and the replies (bot.rate_limit) hold the chat alike.
                wait = self._gate.hold_chat(chat, seconds)
                log.warning("429 for chat %d: waiting %.0f s before sending there", chat, wait)
                await self._write(deferral(delivery.id, chat, now + timedelta(seconds=wait), error))
            case DeactivateChat(reason):
                log.warning(
                    "chat %d is gone (%s): deactivated, its deliveries cancelled", chat, reason
                )
                await self._drop_chat(chat, lambda tx: tx.deactivate_chat(chat, reason, now))
            case DeactivateThread(reason):
                thread = delivery.thread_id
                log.warning("chat %d's thread %d is gone (%s): it stops", chat, thread, reason)
                await self._write(lambda tx: tx.deactivate_thread(chat, thread, reason, now))
            case Migrate(new_chat_id):
                log.info(
                    "chat %d moved to %d: moving its subscriptions and deliveries",
                    chat,
                    new_chat_id,
                )
                await self._drop_chat(chat, lambda tx: tx.migrate_chat(chat, new_chat_id, now))
                self.wake()
            case Retry(delay, error):
                log.warning("delivery of %s: %s; retrying in %.0f s", where, error, delay)
                at = now + timedelta(seconds=delay)
                await self._write(lambda tx: tx.outbox.mark_retry(delivery.id, at, error))
            case Postpone(delay, error):
                log.debug("%s: %s; again in %.0f s", where, error, delay)
                at = now + timedelta(seconds=delay)
                await self._write(lambda tx: tx.outbox.postpone(delivery.id, at, error))
            case Fail(error, attempts):
                self.failed += 1
                if attempts is None:
                    log.error("delivery of %s failed: %s", where, error)
                else:
                    log.error("delivery of %s failed after %d attempts: %s", where, attempts, error)
                await self._write(lambda tx: tx.outbox.mark_failed(delivery.id, error))
            case Halt():
                await self._release(delivery)
                await self.stop()
            case _:
                assert_never(step)

    async def _drop_chat(
        self, chat: int, change: Callable[[Transaction], Awaitable[object]]
    ) -> None:
        """Write a change that cancels or moves the chat's unsent rows; what is queued for the
        chat once it is written (claimed before it, or while it ran) was cancelled or moved by
        it, and must not be sent."""
        await self._write(change)
        self._posts.forget(self._hand.turns.drop(chat))

    async def _drain(self) -> None:
        await self.stop()  # run() may have ended on an error: the hand-out loop ends too
        if self._pump is not None:
            await asyncio.gather(self._pump, return_exceptions=True)
        left = self._hand.turns.drain()
        if left:
            self._posts.forget(left)
            await self._write(lambda tx: tx.outbox.mark_released([d.id for d in left]))
        await self._lanes.close()
        if self._flusher is not None:
            await self._flusher
        await self._sent_batch.flush()
