"""Who may change what: pure decisions (table-tested) and a short-lived cache of what Telegram
said about a group member. No python-telegram-bot here; handlers pass plain values in.

- What a chat follows: in a private chat, the user; in a group or supergroup, its
  administrators (an anonymous administrator posts as the group itself and counts too).
- Admin commands: only the numeric user ids in `telegram.admins`. Never a username (it can be
  changed and taken over) and never a chat (anyone can post in a group)."""

from __future__ import annotations

import enum
import time
from collections.abc import Awaitable, Callable, Collection

from cachetools import TTLCache

ADMIN_STATUSES = frozenset({"administrator", "creator"})
GROUP_KINDS = frozenset({"group", "supergroup"})
MEMBER_STATUS_TTL = 60.0  # seconds: a demoted admin loses the right within a minute


class Verdict(enum.Enum):
    ALLOWED = "allowed"
    REFUSED = "refused"
    ASK_TELEGRAM = "ask"  # decide again with the member's status from getChatMember


def may_manage_chat(
    chat_type: str, *, anonymous_admin: bool = False, member_status: str | None = None
) -> Verdict:
    """May this sender change the chat's topics and threshold?"""
    if chat_type == "private":
        return Verdict.ALLOWED
    if chat_type not in GROUP_KINDS:
        return Verdict.REFUSED
    if anonymous_admin:
        return Verdict.ALLOWED
    if member_status is None:
        return Verdict.ASK_TELEGRAM
    return Verdict.ALLOWED if member_status in ADMIN_STATUSES else Verdict.REFUSED


def is_bot_admin(user_id: int | None, admins: Collection[int], *, sent_as_chat: bool) -> bool:
    """May this sender use the admin commands? `sent_as_chat`: the message was posted on behalf
    of a chat (an anonymous group admin, a linked channel), so no user vouches for it."""
    return user_id is not None and not sent_as_chat and user_id in admins


class MemberStatusCache:
    """getChatMember answers, kept briefly: a busy group must not cost one request per command,
    and a change of admins must still show within a minute."""

    def __init__(
        self,
        ttl: float = MEMBER_STATUS_TTL,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 10_000,
    ) -> None:
        self._seen: TTLCache[tuple[int, int], str] = TTLCache(max_entries, ttl, timer=clock)

    async def status(self, chat_id: int, user_id: int, fetch: Callable[[], Awaitable[str]]) -> str:
        cached = self._seen.get((chat_id, user_id))
        if cached is not None:
            return cached
        value = self._seen[(chat_id, user_id)] = await fetch()
        return value
