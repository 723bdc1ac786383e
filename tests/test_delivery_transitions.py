"""What each send outcome does to its delivery row: the pure transition, one row per case."""

from __future__ import annotations

import typing

import pytest

import jobs.delivery.outcomes as out
import jobs.delivery.transitions as step
from jobs.backoff import Backoff
from jobs.delivery.edits import changes_photo, kept_photo

POLICY = step.RetryPolicy(max_attempts=3, max_attempts_after_timeout=2, backoff=Backoff(2.0, 600.0))
DRAW = 0.5  # the retry's jitter: half way, so a retry after attempt n waits 1.5 * 2**(n-1) s

CASES: list[tuple[str, out.SendOutcome, int, step.Step]] = [
    ("sent", out.Sent(42), 1, step.MarkSent(42)),
    ("sent as text", out.Sent(7, "photo refused"), 1, step.MarkSent(7, "photo refused")),
    ("sent, no message id", out.Sent(None), 3, step.MarkSent(None)),
    (
        "sent as a photo",
        out.Sent(5, photo="https://i/1.jpg"),
        1,
        step.MarkSent(5, None, "https://i/1.jpg"),
    ),
    ("429 defers the chat", out.RetryAfter(12.0), 1, step.DeferChat(12.0, "429: retry after 12 s")),
    (
        "429 at the attempt limit",
        out.RetryAfter(0.5),
        3,
        step.DeferChat(0.5, "429: retry after 0.5 s"),
    ),
    ("blocked", out.ChatGone("bot was blocked"), 1, step.DeactivateChat("bot was blocked")),
    ("moved", out.ChatMoved(-1002), 1, step.Migrate(-1002)),
    (
        "rejected on the first try",
        out.Rejected("message is too long"),
        1,
        step.Fail("message is too long"),
    ),
    ("transient, first try", out.Transient("502"), 1, step.Retry(1.5, "502")),
    ("transient, second try", out.Transient("502"), 2, step.Retry(3.0, "502")),
    ("transient, retries ran out", out.Transient("502"), 3, step.Fail("502", 3)),
    ("transient, past the limit", out.Transient("502"), 4, step.Fail("502", 4)),
    (
        "timeout, first try",
        out.Transient("timed out", maybe_delivered=True),
        1,
        step.Retry(1.5, "timed out"),
    ),
    (
        "timeout, fewer retries",
        out.Transient("timed out", maybe_delivered=True),
        2,
        step.Fail("timed out", 2),
    ),
    ("thread closed", out.ThreadGone("TOPIC_CLOSED"), 1, step.DeactivateThread("TOPIC_CLOSED")),
    ("token rejected: halt, the row unsent", out.TokenRejected(), 1, step.Halt()),
    ("token rejected past the limit: never a failure", out.TokenRejected(), 9, step.Halt()),
]


@pytest.mark.parametrize(
    ("outcome", "attempts", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_transition(outcome: out.SendOutcome, attempts: int, expected: step.Step) -> None:
    assert step.transition(outcome, attempts, POLICY, DRAW) == expected


def test_every_outcome_has_a_row() -> None:
    covered = {type(outcome) for _, outcome, _, _ in CASES}
    assert covered == set(typing.get_args(out.SendOutcome))


EDIT_CASES: list[tuple[str, out.EditOutcome, int, step.Step]] = [
    ("edited", out.Sent(42), 1, step.MarkSent(42)),
    (
        "not modified: already shows it",
        out.NotModified(),
        1,
        step.MarkSent(None, "not modified: the post already shows this"),
    ),
    (
        "message to edit not found",
        out.MessageGone("message to edit not found"),
        1,
        step.Fail("the post is gone (message to edit not found)"),
    ),
    (
        "post not sent yet",
        out.PostPending(),
        1,
        step.Postpone(POLICY.post_pending_wait, "waiting for the post to be sent"),
    ),
    ("429 defers the chat", out.RetryAfter(5.0), 1, step.DeferChat(5.0, "429: retry after 5 s")),
    ("token rejected: halt, the edit unsent", out.TokenRejected(), 1, step.Halt()),
    (
        "bot removed from the channel",
        out.ChatGone("bot was kicked"),
        1,
        step.DeactivateChat("bot was kicked"),
    ),
    (
        "chat moved",
        out.ChatMoved(-1002),
        1,
        step.Fail("the chat moved to -1002; its old post cannot be edited"),
    ),
    ("refused", out.Rejected("message can't be edited"), 1, step.Fail("message can't be edited")),
    ("transient", out.Transient("502"), 1, step.Retry(1.5, "502")),
    ("transient, retries ran out", out.Transient("502"), 3, step.Fail("502", 3)),
    # an edit repeated cannot duplicate a post: a timeout gets the full retries
    ("timeout", out.Transient("timed out", maybe_delivered=True), 2, step.Retry(3.0, "timed out")),
]


@pytest.mark.parametrize(
    ("outcome", "attempts", "expected"),
    [case[1:] for case in EDIT_CASES],
    ids=[case[0] for case in EDIT_CASES],
)
def test_edit_transition(outcome: out.EditOutcome, attempts: int, expected: step.Step) -> None:
    assert step.edit_transition(outcome, attempts, POLICY, DRAW) == expected


def test_every_edit_outcome_has_a_row() -> None:
    covered = {type(outcome) for _, outcome, _, _ in EDIT_CASES}
    assert covered == set(typing.get_args(out.EditOutcome))


@pytest.mark.parametrize(
    ("shown", "current", "replaced"),
    [
        ("https://img.example/1.jpg", "https://img.example/2.jpg", True),  # a new image
        ("https://img.example/1.jpg", "https://img.example/1.jpg", False),  # fetched never again
        ("https://img.example/1.jpg", None, False),  # no longer qualifies: the photo stays
        (None, "https://img.example/2.jpg", False),  # a text post stays text; or not known
        (None, None, False),
    ],
)
def test_an_edit_replaces_the_photo_only_when_the_image_is_another(
    shown: str | None, current: str | None, replaced: bool
) -> None:
    assert changes_photo(shown, current) is replaced


@pytest.mark.parametrize(
    ("chat_id", "kept"),
    [
        (-1001234567890, "https://img.example/1.jpg"),  # a channel: its post may be edited
        (-3001, "https://img.example/1.jpg"),  # a group
        (1001, None),  # a private chat: never edited, so no URL in the sent archive
    ],
)
def test_a_sent_post_keeps_its_photo_only_where_an_edit_may_come(
    chat_id: int, kept: str | None
) -> None:
    assert kept_photo(chat_id, "https://img.example/1.jpg") == kept
