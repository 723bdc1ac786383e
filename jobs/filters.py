"""/filter: a subscriber's keyword filter (jobs.keyword_filter decides what passes). One
transaction per call."""

from __future__ import annotations

from datetime import datetime

from jobs.keyword_filter import MAX_TERMS, FilterSyntaxError, parse_terms
from storage.mapping import filters_text
from storage.unit_of_work import UowFactory


class TooManyTermsError(ValueError):
    pass


async def terms(uow: UowFactory, chat_id: int, thread_id: int = 0) -> tuple[str, ...]:
    async with uow() as tx:
        return (await tx.settings.settings(chat_id, thread_id)).filters


async def add_terms(
    uow: UowFactory, chat_id: int, text: str, now: datetime, thread_id: int = 0
) -> tuple[str, ...]:
    """Add the terms in `text` ("+ai -crypto"); a term given with the other sign replaces it.
    Raises FilterSyntaxError or TooManyTermsError (nothing changes then)."""
    new = parse_terms(text)
    async with uow() as tx:
        current = list((await tx.settings.settings(chat_id, thread_id)).filters)
        for term in new:
            current = [t for t in current if t[1:] != term[1:]] + [term]
        if len(current) > MAX_TERMS:
            raise TooManyTermsError(f"a chat's filter holds at most {MAX_TERMS} terms")
        stored = tuple(sorted(set(current)))
        await tx.settings.change(chat_id, thread_id, now, filters=filters_text(stored))
    return stored


async def clear(uow: UowFactory, chat_id: int, now: datetime, thread_id: int = 0) -> None:
    async with uow() as tx:
        await tx.settings.change(chat_id, thread_id, now, filters="")


__all__ = ["FilterSyntaxError", "TooManyTermsError", "add_terms", "clear", "terms"]
