"""What each send outcome does to its delivery row: the pure transition, one row per case."""

from __future__ import annotations

import typing

import pytest

import jobs.delivery.transitions as step
from jobs.backoff import Backoff
from jobs.delivery import (
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

POLICY = step.RetryPolicy(max_attempts=3, max_attempts_after_timeout=2, backoff=Backoff(2.0, 600.0))
DRAW = 0.5  # the retry's jitter: half way, so a retry after attempt n waits 1.5 * 2**(n-1) s

CASES: list[tuple[str, SendOutcome, int, step.Step]] = [
    ("sent", Sent(42), 1, step.MarkSent(42)),
    ("sent as text", Sent(7, "photo refused"), 1, step.MarkSent(7, "photo refused")),
    ("sent, no message id", Sent(None), 3, step.MarkSent(None)),
    ("429 defers the chat", RetryAfter(12.0), 1, step.DeferChat(12.0, "429: retry after 12 s")),
    ("429 at the attempt limit", RetryAfter(0.5), 3, step.DeferChat(0.5, "429: retry after 0.5 s")),
    ("blocked", ChatGone("bot was blocked"), 1, step.DeactivateChat("bot was blocked")),
    ("moved", ChatMoved(-1002), 1, step.Migrate(-1002)),
    ("thread closed", ThreadGone("TOPIC_CLOSED"), 1, step.DeactivateThread("TOPIC_CLOSED")),
    (
        "rejected on the first try",
        Rejected("message is too long"),
        1,
        step.Fail("message is too long"),
    ),
    ("transient, first try", Transient("502"), 1, step.Retry(1.5, "502")),
    ("transient, second try", Transient("502"), 2, step.Retry(3.0, "502")),
    ("transient, retries ran out", Transient("502"), 3, step.Fail("502", 3)),
    ("transient, past the limit", Transient("502"), 4, step.Fail("502", 4)),
    (
        "timeout, first try",
        Transient("timed out", maybe_delivered=True),
        1,
        step.Retry(1.5, "timed out"),
    ),
    (
        "timeout, fewer retries",
        Transient("timed out", maybe_delivered=True),
        2,
        step.Fail("timed out", 2),
    ),
    ("token rejected: halt, the row unsent", TokenRejected(), 1, step.Halt()),
    ("token rejected past the limit: never a failure", TokenRejected(), 9, step.Halt()),
]


@pytest.mark.parametrize(
    ("outcome", "attempts", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_transition(outcome: SendOutcome, attempts: int, expected: step.Step) -> None:
    assert step.transition(outcome, attempts, POLICY, DRAW) == expected


def test_every_outcome_has_a_row() -> None:
    covered = {type(outcome) for _, outcome, _, _ in CASES}
    assert covered == set(typing.get_args(SendOutcome))


EDIT_CASES: list[tuple[str, EditOutcome, int, step.Step]] = [
    ("edited", Sent(42), 1, step.MarkSent(42)),
    (
        "not modified: already shows it",
        NotModified(),
        1,
        step.MarkSent(None, "not modified: the post already shows this"),
    ),
    (
        "message to edit not found",
        MessageGone("message to edit not found"),
        1,
        step.Fail("the post is gone (message to edit not found)"),
    ),
    (
        "post not sent yet",
        PostPending(),
        1,
        step.Postpone(POLICY.post_pending_wait, "waiting for the post to be sent"),
    ),
    ("429 defers the chat", RetryAfter(5.0), 1, step.DeferChat(5.0, "429: retry after 5 s")),
    ("token rejected: halt, the edit unsent", TokenRejected(), 1, step.Halt()),
    (
        "bot removed from the channel",
        ChatGone("bot was kicked"),
        1,
        step.DeactivateChat("bot was kicked"),
    ),
    (
        "chat moved",
        ChatMoved(-1002),
        1,
        step.Fail("the chat moved to -1002; its old post cannot be edited"),
    ),
    ("refused", Rejected("message can't be edited"), 1, step.Fail("message can't be edited")),
    ("transient", Transient("502"), 1, step.Retry(1.5, "502")),
    ("transient, retries ran out", Transient("502"), 3, step.Fail("502", 3)),
    # an edit repeated cannot duplicate a post: a timeout gets the full retries
    ("timeout", Transient("timed out", maybe_delivered=True), 2, step.Retry(3.0, "timed out")),
]


@pytest.mark.parametrize(
    ("outcome", "attempts", "expected"),
    [case[1:] for case in EDIT_CASES],
    ids=[case[0] for case in EDIT_CASES],
)
def test_edit_transition(outcome: EditOutcome, attempts: int, expected: step.Step) -> None:
    assert step.edit_transition(outcome, attempts, POLICY, DRAW) == expected


def test_every_edit_outcome_has_a_row() -> None:
    covered = {type(outcome) for _, outcome, _, _ in EDIT_CASES}
    assert covered == set(typing.get_args(EditOutcome))
