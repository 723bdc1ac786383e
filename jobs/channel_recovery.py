"""The channel back after it was lost (the bot removed, or its right to post taken): what the
loss cancelled there goes out after all, so that an outage of a few minutes loses no story.
Only what was queued within the story window: those stories are still open, and a long
outage does not end in a flood of old news (selection never picks an article again once its
channel post exists, whatever became of it)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from storage.unit_of_work import UowFactory

log = logging.getLogger(__name__)


async def channel_back(uow: UowFactory, channel_id: int, now: datetime, window: timedelta) -> int:
    """Call before the channel is marked active again; returns how many posts (and edits) are
    owed again. Nothing when the channel was not lost."""
    async with uow() as tx:
        channel = await tx.chats.chat(channel_id)
        if channel is None or channel.active:
            return 0
        restored = await tx.outbox.restore_cancelled(channel_id, now - window, now)
    if restored:
        log.info("the channel is back: %d message(s) its loss cancelled are owed again", restored)
    return restored
