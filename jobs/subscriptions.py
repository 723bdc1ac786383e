"""Following topics: what /topic, /untopic, /stop, /heat, the topic buttons and deep links change.

Each function is one transaction. A subscriber is a chat or one forum thread of it
(`thread_id`; 0: the chat itself, also a forum's General thread). Names are resolved by
jobs.topic_matching against the topics the database knows (from stored articles and the
config's `topics:`); nothing here creates a topic from what a user typed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from jobs.topic_matching import Ambiguous, Match, NoMatch, resolve_topics, topic_from_slug
from storage.records import ChatKind, TopicSummary
from storage.unit_of_work import Transaction, UowFactory

UNFOLLOWED = "unsubscribed"
STOPPED = "stopped with /stop"


@dataclass(frozen=True, slots=True)
class TopicChanges:
    changed: tuple[str, ...] = ()  # followed (or unfollowed) just now
    unchanged: tuple[str, ...] = ()  # already followed (or not followed)
    unresolved: tuple[Ambiguous | NoMatch, ...] = ()
    resumed: bool = False  # a /stop pause was ended by following


async def remember_chat(
    uow: UowFactory,
    chat_id: int,
    kind: ChatKind,
    title: str | None,
    now: datetime,
    thread_id: int = 0,
    app_language: str | None = None,
) -> None:
    """A message from the chat (or thread): it is known, and reachable again if it had blocked
    the bot or its thread had been closed. `app_language`: the language_code its user's app
    sent (a private chat; storage.tables.ChatRow.app_language)."""
    async with uow() as tx:
        await tx.chats.ensure_chat(chat_id, kind, title, now, app_language=app_language)
        if thread_id:
            await tx.settings.reactivate(chat_id, thread_id, now)


async def forget_chat(uow: UowFactory, chat_id: int, reason: str, now: datetime) -> None:
    """The bot was blocked or removed: nothing more goes there until the chat comes back."""
    async with uow() as tx:
        await tx.deactivate_chat(chat_id, reason, now)


async def migrate_chat(uow: UowFactory, old_id: int, new_id: int, now: datetime) -> None:
    """A group became a supergroup (Telegram's service message says so): what it follows, its
    settings and its queued posts move to the new id at once, not at the next send that fails.
    Done again (the old and the new chat each get the message), it finds nothing left to move."""
    async with uow() as tx:
        await tx.migrate_chat(old_id, new_id, now)


async def add_topics(uow: UowFactory, names: Sequence[str]) -> None:
    """Topics offered before any article carries them (the config's `topics:`)."""
    if names:
        async with uow() as tx:
            await tx.topics.ensure_topics(names)


async def catalogue(
    uow: UowFactory, chat_id: int, thread_id: int = 0
) -> tuple[list[TopicSummary], set[int]]:
    """Every topic with its article count, and the ids of those the subscriber follows."""
    async with uow() as tx:
        followed = await tx.subscriptions.followed_topic_ids(chat_id, thread_id)
        return await tx.topics.topic_summaries(), followed


async def followed_topics(uow: UowFactory, chat_id: int, thread_id: int = 0) -> list[TopicSummary]:
    topics, followed = await catalogue(uow, chat_id, thread_id)
    return [t for t in topics if t.id in followed]


async def follow(
    uow: UowFactory, chat_id: int, text: str, now: datetime, thread_id: int = 0
) -> TopicChanges:
    """Follow the topics named in `text` (comma-separated queries)."""
    async with uow() as tx:
        topics = await tx.topics.topic_summaries()
        matched, unresolved = _resolve(text, topics)
        added = await tx.subscriptions.subscribe(chat_id, matched.values(), now, thread_id)
        resumed = bool(matched) and await _end_pause(tx, chat_id, thread_id, now)
    return _changes(matched, added, unresolved, resumed=resumed)


async def follow_slug(
    uow: UowFactory, chat_id: int, slug: str, now: datetime, thread_id: int = 0
) -> TopicChanges | None:
    """Follow the topic a deep link names; None when no topic has that slug."""
    async with uow() as tx:
        topics = await tx.topics.topic_summaries()
        name = topic_from_slug(slug, [t.name for t in topics])
        if name is None:
            return None
        matched = {name: next(t.id for t in topics if t.name == name)}
        added = await tx.subscriptions.subscribe(chat_id, matched.values(), now, thread_id)
        resumed = await _end_pause(tx, chat_id, thread_id, now)
    return _changes(matched, added, [], resumed=resumed)


async def unfollow(
    uow: UowFactory, chat_id: int, text: str, now: datetime, thread_id: int = 0
) -> TopicChanges:
    """Stop following the topics named in `text`, matched among the subscriber's own topics (so
    "ai" means the one AI topic it follows, not every topic starting with "ai")."""
    async with uow() as tx:
        followed = await tx.subscriptions.followed_topic_ids(chat_id, thread_id)
        topics = [t for t in await tx.topics.topic_summaries() if t.id in followed]
        matched, unresolved = _resolve(text, topics)
        dropped = await tx.subscriptions.unsubscribe(chat_id, matched.values(), thread_id)
        await tx.outbox.cancel_unfollowed(chat_id, UNFOLLOWED, thread_id)
    return _changes(matched, dropped, unresolved)


async def toggle(
    uow: UowFactory,
    chat_id: int,
    topic_id: int,
    now: datetime,
    thread_id: int = 0,
    *,
    follow: bool | None = None,
) -> tuple[str, bool] | None:
    """Follow the topic if the subscriber does not, else stop (`follow`: only that way);
    (name, following now), or None when the topic no longer exists."""
    async with uow() as tx:
        name = next((t.name for t in await tx.topics.topic_summaries() if t.id == topic_id), None)
        if name is None:
            return None
        if follow is not True and await tx.subscriptions.unsubscribe(
            chat_id, [topic_id], thread_id
        ):
            await tx.outbox.cancel_unfollowed(chat_id, UNFOLLOWED, thread_id)
            return name, False
        if follow is False:
            return name, False
        await tx.subscriptions.subscribe(chat_id, [topic_id], now, thread_id)
        await _end_pause(tx, chat_id, thread_id, now)
        return name, True


async def stop(
    uow: UowFactory, chat_id: int, now: datetime, thread_id: int = 0, *, forum: bool = False
) -> int:
    """Unfollow everything and cancel what was queued. For a chat, it stays known (inactive)
    and any later command brings it back; for a forum thread, the chat's other threads go on,
    and so they do for a forum's General thread (`forum`: thread 0 is then one thread of
    several, not the whole chat). Returns how many topics it followed."""
    async with uow() as tx:
        dropped = await tx.subscriptions.unsubscribe(chat_id, None, thread_id)
        if thread_id or forum:
            await tx.outbox.cancel_unfollowed(chat_id, STOPPED, thread_id)
        else:
            await tx.deactivate_chat(chat_id, STOPPED, now)
    return len(dropped)


async def pause(
    uow: UowFactory, chat_id: int, until: datetime, now: datetime, thread_id: int = 0
) -> None:
    """No posts before `until`; they resume by themselves then (fan-out honours it). What was
    already queued still goes."""
    async with uow() as tx:
        await tx.settings.change(chat_id, thread_id, now, paused_until=until)


async def resume(uow: UowFactory, chat_id: int, now: datetime, thread_id: int = 0) -> bool:
    """End a /stop pause early (/start); False when there was none running."""
    async with uow() as tx:
        return await _end_pause(tx, chat_id, thread_id, now)


async def _end_pause(tx: Transaction, chat_id: int, thread_id: int, now: datetime) -> bool:
    """Rule: asking for posts (following a topic, /start) ends a pause still running: a user
    who changed their mind must not wait out the week in silence."""
    until = (await tx.settings.settings(chat_id, thread_id)).paused_until
    if until is None or until <= now:
        return False
    await tx.settings.change(chat_id, thread_id, now, paused_until=None)
    return True


async def chat_min_heat(uow: UowFactory, chat_id: int, thread_id: int = 0) -> int | None:
    async with uow() as tx:
        return (await tx.settings.settings(chat_id, thread_id)).min_heat


async def set_chat_min_heat(
    uow: UowFactory,
    chat_id: int,
    value: int,
    global_min: float,
    now: datetime,
    thread_id: int = 0,
) -> int | None:
    """The subscriber's own minimum heat; a value at or below the global one clears it (None)."""
    stored = value if value > global_min else None
    async with uow() as tx:
        await tx.settings.change(chat_id, thread_id, now, min_heat=stored)
    return stored


def _resolve(
    text: str, topics: Sequence[TopicSummary]
) -> tuple[dict[str, int], list[Ambiguous | NoMatch]]:
    ids = {t.name: t.id for t in topics}
    matched: dict[str, int] = {}
    unresolved: list[Ambiguous | NoMatch] = []
    for resolution in resolve_topics(text, list(ids)):
        if isinstance(resolution, Match):
            matched[resolution.topic] = ids[resolution.topic]
        else:
            unresolved.append(resolution)
    return matched, unresolved


def _changes(
    matched: dict[str, int],
    changed_ids: Iterable[int],
    unresolved: Sequence[Ambiguous | NoMatch],
    *,
    resumed: bool = False,
) -> TopicChanges:
    changed = set(changed_ids)
    return TopicChanges(
        changed=tuple(name for name, id_ in matched.items() if id_ in changed),
        unchanged=tuple(name for name, id_ in matched.items() if id_ not in changed),
        unresolved=tuple(unresolved),
        resumed=resumed,
    )
