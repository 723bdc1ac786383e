"""Who receives an article besides the channel: the one place that decides it. Pure; the
database prefilters the candidates (tx.subscriptions.subscribers) so only followers are ever loaded.

A chat gets the article when it is active, is not the channel, follows at least one of the
article's topics, and — for scheduled posts — the article's heat reaches the chat's own minimum
(`/heat`), which never goes below the global one, and the chat has not had the article's story
from another outlet already. Each chat appears once, however many of the article's topics it
follows, so a subscriber of two matching topics gets one message."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from storage.records import Article, Subscriber, topic_key


def recipients(
    article: Article,
    candidates: Iterable[Subscriber],
    *,
    channel_id: int,
    min_heat: float | None,
    had_story: Collection[int] = (),
) -> list[int]:
    """The chat ids that get `article`, ascending. `min_heat` is the global threshold; None
    ignores heat altogether (an admin's /publish). `had_story`: chats that have (or are owed)
    another article of the same story."""
    keys = {key for key in map(topic_key, article.topics) if key}
    chosen: set[int] = set()
    for chat in candidates:
        if chat.chat_id == channel_id or not chat.active or not (chat.topic_keys & keys):
            continue
        if chat.chat_id in had_story:
            continue
        if min_heat is not None and not _hot_enough(article.heat, chat.min_heat, min_heat):
            continue
        chosen.add(chat.chat_id)
    return sorted(chosen)


def _hot_enough(heat: int | None, chat_min: int | None, global_min: float) -> bool:
    if heat is None:
        return False
    return heat >= max(global_min, chat_min if chat_min is not None else global_min)
