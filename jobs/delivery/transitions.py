"""What a send's outcome does to its delivery row: the one decision of the delivery engine, pure,
so every outcome is a row of a table test (tests/test_delivery_transitions.py). The worker
(jobs.delivery.worker) applies the step it returns and decides nothing itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import assert_never

from jobs.backoff import Backoff
from jobs.delivery.outcomes import (
    Because,
    ChatGone,
    ChatMoved,
    EditOutcome,
    MessageGone,
    NotModified,
    PostPending,
    Rejected,
    RetryAfter,
    SendOutcome,
    Sent,
    ThreadGone,
    TokenRejected,
    Transient,
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 5
    # A timed-out send may have arrived; retrying it may duplicate, so it is retried less.
    max_attempts_after_timeout: int = 2
    # An edit waits this long for its post to be sent (the post is ahead of it in the outbox).
    post_pending_wait: float = 30.0
    # frozen, so sharing the default is safe
    backoff: Backoff[float] = Backoff(base=2.0, cap=600.0)  # noqa: RUF009


DEFAULT_RETRY = RetryPolicy()

# -- the steps: what happens to the row (and, for some, to its chat) --------------------------


@dataclass(frozen=True, slots=True)
class MarkSent:
    """The row is sent (written in batches: one transaction per message would make the
    database the limit of a large fan-out)."""

    message_id: int | None  # kept: an edit of the post needs it
    note: str | None = None
    photo: str | None = None  # the photo the message shows (outcomes.Sent.photo)


@dataclass(frozen=True, slots=True)
class DeferChat:
    """The chat may not be sent to for `seconds`: this row and the chat's other due rows wait."""

    seconds: float
    error: str


class DeactivateChat(Because):
    """The chat is marked inactive and its unsent rows cancelled, this one included."""

    __slots__ = ()


class DeactivateThread(Because):
    """The forum thread is marked inactive and its unsent rows cancelled, this one included;
    the chat's other threads go on."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Migrate:
    """The chat's subscriptions and unsent rows move to its new id, this one included."""

    new_chat_id: int


@dataclass(frozen=True, slots=True)
class Later:
    """Back to pending, due again after `delay` (its subclasses say whether the attempt
    counts); the shape written once, each subclass its own type for `match`."""

    delay: float  # seconds from now
    error: str


class Retry(Later):
    """Back to pending, due again after `delay`; the attempt counts."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Fail:
    """The row fails with `error` (shown in the log and in /stats)."""

    error: str
    attempts: int | None = None  # set when the retries ran out


class Postpone(Later):
    """Back to pending, due again after `delay`, without spending an attempt."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Halt:
    """Nothing can be sent any more (the token was revoked): the row goes back unsent, its
    attempt not counted, and the worker stops; the process stops too (bot.runner)."""


Step = (
    MarkSent
    | DeferChat
    | DeactivateChat
    | DeactivateThread
    | Migrate
    | Retry
    | Fail
    | Postpone
    | Halt
)


def transition(outcome: SendOutcome, attempts: int, policy: RetryPolicy, draw: float) -> Step:
    """The step for one send's outcome. `attempts` is the row's count, this send included;
    `draw` is uniform in [0, 1) for the retry's jitter.

    - Sent: the row is sent (its message id kept).
    - RetryAfter (429): the chat waits Telegram's retry_after, this row with it; no attempt is
      spent on a wait Telegram asked for.
    - ChatGone (blocked, kicked, deleted): permanent for the chat: it is deactivated and its
      pending rows cancelled.
    - ThreadGone (the forum thread was closed or deleted): that thread alone is deactivated and
      its pending rows cancelled; the chat and its other threads go on.
    - ChatMoved (group became a supergroup): the chat's subscriptions and rows move to the new
      id, and are sent there.
    - Rejected (any other 400): sending again would get the same answer: the row fails.
    - Transient (5xx, network, timeout): retried after policy.backoff, until `attempts` reaches
      max_attempts (max_attempts_after_timeout when Telegram may have posted it: each retry of
      a timeout may duplicate), then the row fails.
    - TokenRejected (401): fatal for the whole process, not for the row (every send would fail
      alike): the worker halts and leaves the row unsent.

    The exhaustive match makes a new outcome impossible to forget."""
    match outcome:
        case Sent(message_id, note, photo):
            return MarkSent(message_id, note, photo)
        case RetryAfter(seconds):
            return DeferChat(seconds, f"429: retry after {seconds:g} s")
        case ChatGone(reason):
            return DeactivateChat(reason)
        case ThreadGone(reason):
            return DeactivateThread(reason)
        case ChatMoved(new_chat_id):
            return Migrate(new_chat_id)
        case Rejected(reason):
            return Fail(reason)
        case TokenRejected():
            return Halt()
        case Transient(reason, maybe_delivered):
            limit = policy.max_attempts_after_timeout if maybe_delivered else policy.max_attempts
            if attempts >= limit:
                return Fail(reason, attempts)
            return Retry(policy.backoff.delay(attempts, draw), reason)
        case _:
            assert_never(outcome)


def edit_transition(outcome: EditOutcome, attempts: int, policy: RetryPolicy, draw: float) -> Step:
    """The step for one edit's outcome (an edit row: a change to the channel post of a story).

    - Sent: the row is done.
    - NotModified ("message is not modified"): the post already shows it: the row is done.
    - MessageGone ("message to edit not found": deleted from the channel): the row fails; there
      is nothing left to edit, trying again would get the same answer.
    - PostPending: the post itself is still in the outbox: the edit waits for it
      (policy.post_pending_wait), spending no attempt.
    - ChatMoved: the post stays in the old chat, where it can no longer be edited: fails.
    - RetryAfter, ChatGone, Rejected: as for a send. Transient: retried as for a send, but a
      timed-out edit counts like any other: repeating an edit cannot duplicate a post.
    - TokenRejected: as for a send (Halt)."""
    match outcome:
        case NotModified():
            return MarkSent(None, "not modified: the post already shows this")
        case MessageGone(reason):
            return Fail(f"the post is gone ({reason})")
        case PostPending():
            return Postpone(policy.post_pending_wait, "waiting for the post to be sent")
        case ChatMoved(new_chat_id):
            return Fail(f"the chat moved to {new_chat_id}; its old post cannot be edited")
        case Transient(reason, _):
            return transition(Transient(reason), attempts, policy, draw)
        case Sent() | RetryAfter() | ChatGone() | Rejected() | TokenRejected():
            return transition(outcome, attempts, policy, draw)
        case _:
            assert_never(outcome)
