"""The delivery engine: drains the outbox, paced by jobs.pacing, and turns every answer Telegram
can give into the right change of the delivery's row.

- `outcomes`: what a send or an edit can come to, and the Sender protocol that produces it;
- `transitions`: what each outcome does to its row (pure; the one decision);
- `edits`: what an edit row edits (the channel post of its story, as the story is now);
- `worker`: claims due rows, paces and sends them, applies the steps.

Crash safety comes from the row states: a delivery is `sending` from the moment it is claimed
until its outcome is written. A process killed in between leaves it `sending`; the next start
puts it back to `pending` (tx.outbox.release_in_flight), so nothing is lost, and only the sends
that had reached Telegram without their outcome being written can repeat."""

from jobs.delivery.outcomes import (
    ChatGone,
    ChatMoved,
    EditOutcome,
    MessageGone,
    NotModified,
    Outgoing,
    PostPending,
    Rejected,
    RetryAfter,
    Sender,
    SendOptions,
    SendOutcome,
    Sent,
    ThreadGone,
    TokenRejected,
    Transient,
)
from jobs.delivery.transitions import RetryPolicy
from jobs.delivery.worker import DeliveryWorker

__all__ = [
    "ChatGone",
    "ChatMoved",
    "DeliveryWorker",
    "EditOutcome",
    "MessageGone",
    "NotModified",
    "Outgoing",
    "PostPending",
    "Rejected",
    "RetryAfter",
    "RetryPolicy",
    "SendOptions",
    "SendOutcome",
    "Sender",
    "Sent",
    "ThreadGone",
    "TokenRejected",
    "Transient",
]
