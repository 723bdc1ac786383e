"""Who may change what (bot.permissions), as tables, and the member-status cache."""

from __future__ import annotations

import pytest

from bot.permissions import MemberStatusCache, Verdict, is_bot_admin, may_manage_chat

ALLOWED, REFUSED, ASK = Verdict.ALLOWED, Verdict.REFUSED, Verdict.ASK_TELEGRAM


@pytest.mark.parametrize(
    ("chat_type", "anonymous", "status", "expected"),
    [
        ("private", False, None, ALLOWED),
        ("group", False, None, ASK),
        ("supergroup", False, None, ASK),
        ("group", False, "creator", ALLOWED),
        ("supergroup", False, "administrator", ALLOWED),
        ("group", False, "member", REFUSED),
        ("supergroup", False, "restricted", REFUSED),
        ("group", False, "left", REFUSED),
        ("group", False, "kicked", REFUSED),
        ("group", True, None, ALLOWED),  # an anonymous admin posts as the group itself
        ("supergroup", True, None, ALLOWED),
        ("channel", False, None, REFUSED),
        ("channel", False, "administrator", REFUSED),
    ],
)
def test_may_manage_chat(
    chat_type: str, anonymous: bool, status: str | None, expected: Verdict
) -> None:
    assert may_manage_chat(chat_type, anonymous_admin=anonymous, member_status=status) is expected


@pytest.mark.parametrize(
    ("user_id", "admins", "as_chat", "expected"),
    [
        (1000, (1000,), False, True),
        (1000, (999, 1000), False, True),
        (1001, (1000,), False, False),
        (None, (1000,), False, False),
        (1000, (), False, False),
        (1000, (1000,), True, False),  # posted on behalf of a chat: no user vouches for it
        (1087968824, (1000,), True, False),  # GroupAnonymousBot
    ],
)
def test_is_bot_admin(
    user_id: int | None, admins: tuple[int, ...], as_chat: bool, expected: bool
) -> None:
    assert is_bot_admin(user_id, admins, sent_as_chat=as_chat) is expected


async def test_member_status_is_cached_briefly() -> None:
    clock = [0.0]
    answers = iter(["administrator", "member"])
    asked: list[int] = []

    async def fetch() -> str:
        asked.append(1)
        return next(answers)

    cache = MemberStatusCache(ttl=60, clock=lambda: clock[0])
    assert await cache.status(-1, 7, fetch) == "administrator"
    clock[0] = 59.0
    assert await cache.status(-1, 7, fetch) == "administrator"
    assert len(asked) == 1
    clock[0] = 60.0
    assert await cache.status(-1, 7, fetch) == "member"  # demoted: seen after the minute
    assert len(asked) == 2


async def test_member_status_cache_stays_bounded() -> None:
    async def fetch() -> str:
        return "member"

    cache = MemberStatusCache(ttl=60, clock=lambda: 0.0, max_entries=3)
    for user in range(10):
        await cache.status(-1, user, fetch)
    assert len(cache._seen) <= 3
