"""How a post goes to its subscriber: the subscriber's settings at send time and the topics
that brought the post, turned into jobs.delivery.SendOptions. Pure.

Rule: the forum thread, the silent flag, the compact form and the link preview are the
subscriber's (chat, thread) settings as they are when the post is sent, so a change in /settings
applies to what is still queued. A post in a private chat names the followed topics it came
for (its "🔕 Unfollow" button), in the article's own order; other chats get no such button
(anyone could press it there)."""

from __future__ import annotations

from collections.abc import Mapping

from jobs.delivery.outcomes import SendOptions
from storage.records import Article, Delivery, SubscriberSettings, topic_key


def send_options(
    delivery: Delivery,
    article: Article,
    settings: SubscriberSettings | None,
    followed: Mapping[str, tuple[int, str]] | None,
) -> SendOptions:
    """`followed`: the subscriber's topics by key (id, name); None when it follows none."""
    unfollow: list[tuple[int, str]] = []
    if delivery.chat_id > 0 and followed:
        for key in dict.fromkeys(map(topic_key, article.topics)):
            if key in followed:
                unfollow.append(followed[key])
    base = settings or SubscriberSettings(delivery.chat_id, delivery.thread_id)
    return SendOptions(
        thread_id=delivery.thread_id,
        silent=base.silent,
        compact=base.compact,
        link_preview=base.link_preview,
        unfollow=tuple(unfollow),
    )
