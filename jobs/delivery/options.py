"""How a post goes to its subscriber: the subscriber's settings at send time and the topics
that brought the post, turned into jobs.delivery.SendOptions (send_options, pure), read for a
claim's rows by claimed_options.

Rule: the forum thread, the silent flag, the compact form and the link preview are the
subscriber's (chat, thread) settings as they are when the post is sent, so a change in /settings
applies to what is still queued. A post in a private chat names the followed topics it came
for (its "🔕 Unfollow" button), in the article's own order; other chats get no such button
(anyone could press it there). A digest (an alert-kind row keyed "digest:…") is the
subscriber's message too: it keeps the Silent choice; an operator alert always notifies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from jobs.delivery.outcomes import SendOptions
from jobs.digests import KEY_PREFIX as DIGEST_KEY_PREFIX
from storage.records import Article, Delivery, DeliveryKind, SubscriberSettings, topic_key
from storage.unit_of_work import Transaction


async def claimed_options(
    tx: Transaction, batch: Sequence[Delivery], articles: Mapping[int, Article]
) -> dict[int, SendOptions]:
    """The claimed posts' SendOptions by delivery id, from their subscribers' settings: one
        query for the settings, one for the private chats' topics and one for their languages (the
    unfollow button's words), per claim. Edits have none:
        they go to the channel post as it was sent."""
    posts = [d for d in batch if d.kind is DeliveryKind.POST and d.article_id in articles]
    digests = [d for d in batch if _is_digest(d)]
    if not posts and not digests:
        return {}
    settings = await tx.settings.many((d.chat_id, d.thread_id) for d in posts + digests)
    private = {d.chat_id for d in posts if d.chat_id > 0}
    followed = await tx.subscriptions.followed_by_chats(private) if private else {}
    languages = await tx.chats.languages(chat for chat, _ in followed)
    options: dict[int, SendOptions] = {}
    for d in posts:
        pair = (d.chat_id, d.thread_id)
        article = articles[d.article_id or 0]  # posts: an article id each, claimed with it
        options[d.id] = send_options(d, article, settings.get(pair), followed.get(pair))
        if d.chat_id in languages and options[d.id].unfollow:
            options[d.id] = replace(options[d.id], language=languages[d.chat_id])
    for d in digests:
        chosen = settings.get((d.chat_id, d.thread_id))
        options[d.id] = SendOptions(d.thread_id, silent=chosen is not None and chosen.silent)
    return options


def _is_digest(delivery: Delivery) -> bool:
    key = delivery.alert_key or ""
    return delivery.kind is DeliveryKind.ALERT and key.startswith(DIGEST_KEY_PREFIX)


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
