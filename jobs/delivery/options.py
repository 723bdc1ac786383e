"""How a post goes to its subscriber: the subscriber's settings at send time and the topics
that brought the post, turned into jobs.delivery.SendOptions for a claim's rows by
claimed_options (the unfollow button's topics: unfollow_topics, pure).

Rule: the forum thread, the silent flag, the compact form and the link preview are the
subscriber's (chat, thread) settings as they are when the post is sent, so a change in /settings
applies to what is still queued. A post in a private chat names the followed topics it came
for (its "🔕 Unfollow" button), in the article's own order; other chats get no such button
(anyone could press it there). A digest (an alert-kind row keyed "digest:…") is the
subscriber's message too: it keeps the Silent choice; an operator alert always notifies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from jobs.delivery.outcomes import SendOptions
from jobs.digests import KEY_PREFIX as DIGEST_KEY_PREFIX
from storage.records import Article, Delivery, DeliveryKind, SubscriberSettings, topic_key
from storage.unit_of_work import Transaction


async def claimed_options(
    tx: Transaction, batch: Sequence[Delivery], articles: Mapping[int, Article]
) -> dict[int, SendOptions]:
    """The claimed posts' SendOptions by delivery id, from their subscribers' settings: one
    query for the settings, one for the private chats' topics and one for their languages (the
    unfollow button's words), per claim. Edits have none: they go to the channel post as it
    was sent.

    Rows that go alike share one SendOptions (most of a fan-out's rows do): made once per
    claim instead of once per row, and what bot.sender finds its encoded post by."""
    posts = [d for d in batch if d.kind is DeliveryKind.POST and d.article_id in articles]
    digests = [d for d in batch if _is_digest(d)]
    if not posts and not digests:
        return {}
    settings = await tx.settings.many((d.chat_id, d.thread_id) for d in posts + digests)
    private = {d.chat_id for d in posts if d.chat_id > 0}
    followed = await tx.subscriptions.followed_by_chats(private) if private else {}
    languages = await tx.chats.languages(chat for chat, _ in followed)
    ways: dict[tuple[object, ...], SendOptions] = {}
    keys: dict[int, tuple[str, ...]] = {}  # article id -> its topics' keys, in its order
    options: dict[int, SendOptions] = {}
    for d in posts:
        pair = (d.chat_id, d.thread_id)
        article_id = d.article_id or 0  # posts: an article id each, claimed with it
        topics = keys.get(article_id)
        if topics is None:
            topics = keys[article_id] = topic_keys(articles[article_id])
        unfollow = unfollow_topics(d.chat_id, topics, followed.get(pair))
        chosen = settings.get(pair, _DEFAULTS)
        language = languages.get(d.chat_id) if unfollow else None
        way = (d.thread_id, chosen.silent, chosen.compact, chosen.link_preview, unfollow, language)
        found = ways.get(way)
        if found is None:
            found = ways[way] = SendOptions(*way)  # SendOptions' field order
        options[d.id] = found
    for d in digests:
        silent = settings.get((d.chat_id, d.thread_id), _DEFAULTS).silent
        options[d.id] = SendOptions(d.thread_id, silent=silent)
    return options


# What a subscriber without a settings row has chosen (its chat and thread aside).
_DEFAULTS = SubscriberSettings(0)


def _is_digest(delivery: Delivery) -> bool:
    key = delivery.alert_key or ""
    return delivery.kind is DeliveryKind.ALERT and key.startswith(DIGEST_KEY_PREFIX)


def topic_keys(article: Article) -> tuple[str, ...]:
    """The article's topics as keys (storage.records.topic_key), each once, in its order."""
    return tuple(dict.fromkeys(map(topic_key, article.topics)))


def unfollow_topics(
    chat_id: int, keys: Sequence[str], followed: Mapping[str, tuple[int, str]] | None
) -> tuple[tuple[int, str], ...]:
    """The (topic id, name) of the followed topics among the article's topic `keys`, for a
    private chat's "🔕 Unfollow" button (other chats get none). `followed`: the subscriber's
    topics by key; None when it follows none."""
    if chat_id <= 0 or not followed:
        return ()
    return tuple(followed[key] for key in keys if key in followed)
