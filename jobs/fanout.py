"""Who receives an article besides the channel: the one place that decides it. Pure; the
database prefilters the candidates (tx.subscriptions.subscribers) so only followers are ever loaded.

A subscriber is a chat, or one thread of a forum supergroup (thread 0: the chat itself). It gets
the article when it is active, is not the channel, follows at least one of the article's topics,
is not paused (/stop's "pause for a week") and takes posts as they come (not a digest), its
keyword filter (/filter, jobs.keyword_filter) keeps the article, and — for scheduled posts — the
article's heat reaches its own minimum (`/heat`), which never goes below the global one, and
it has not had the article's story from another outlet already. Each subscriber appears once,
however many of the article's topics it follows, so a subscriber of two matching topics gets one
message.

An article is matched against each distinct filter set once (FilterMemo), not once per
subscriber: 10k chats sharing a handful of filters cost a handful of matches."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from datetime import datetime

from jobs.keyword_filter import compile_filter
from storage.records import Article, Subscriber, topic_key

FilterMemo = dict[str, bool]  # a filter set's canonical text -> does the article pass it


def recipients(
    article: Article,
    candidates: Iterable[Subscriber],
    *,
    channel_id: int,
    min_heat: float | None,
    now: datetime | None = None,
    memo: FilterMemo | None = None,
    had_story: Collection[tuple[int, int]] = (),
) -> list[tuple[int, int]]:
    """The (chat id, thread id) pairs that get `article`, ascending. `min_heat` is the global
    threshold; None ignores heat altogether (an admin's /publish). `now` decides pauses (None:
    no one counts as paused). `memo` carries filter verdicts for this article across pages.
    `had_story`: subscribers that have (or are owed) another article of the same story."""
    keys = {key for key in map(topic_key, article.topics) if key}
    verdicts: FilterMemo = {} if memo is None else memo
    # Most subscribers keep the global threshold: decided once, not once per subscriber.
    hot_by_default = min_heat is None or _hot_enough(article.heat, None, min_heat)
    chosen: set[tuple[int, int]] = set()
    for chat in candidates:
        if chat.chat_id == channel_id or not chat.active or chat.topic_keys.isdisjoint(keys):
            continue
        if chat.digest or (
            now is not None and chat.paused_until is not None and chat.paused_until > now
        ):
            continue
        pair = (chat.chat_id, chat.thread_id)
        if had_story and pair in had_story:
            continue
        if chat.min_heat is None:
            if not hot_by_default:
                continue
        elif min_heat is not None and not _hot_enough(article.heat, chat.min_heat, min_heat):
            continue
        if chat.filters and not _passes(article, chat.filters, verdicts):
            continue
        chosen.add(pair)
    return sorted(chosen)


def article_text(article: Article) -> str:
    """What a keyword filter reads: the title and the excerpt."""
    return f"{article.title}\n{article.excerpt}"


def _passes(article: Article, filters: str, verdicts: FilterMemo) -> bool:
    verdict = verdicts.get(filters)
    if verdict is None:
        verdict = verdicts[filters] = compile_filter(json.loads(filters)).passes(
            article_text(article)
        )
    return verdict


def _hot_enough(heat: int | None, chat_min: int | None, global_min: float) -> bool:
    if heat is None:
        return False
    return heat >= max(global_min, chat_min if chat_min is not None else global_min)
