"""What an edit row edits: the channel post of its article (a story's lead), to show the story
as it is now. Read fresh for every edit (never from the worker's article cache): an edit exists
because the stored article changed.

The post's row keeps the photo the message shows (storage.tables.DeliveryRow.photo): an edit
replaces the photo only when the article's image is now another one (changes_photo); a photo
sent again by URL is fetched by Telegram again, so an unchanged one is never re-sent."""

from __future__ import annotations

from dataclasses import dataclass

from jobs.delivery.outcomes import EditOutcome, PostPending, Rejected
from storage.records import Article, Delivery, DeliveryStatus
from storage.unit_of_work import Transaction


@dataclass(frozen=True, slots=True)
class EditTarget:
    lead: Article | None  # None: the article was deleted
    also: tuple[Article, ...]  # the story's other articles, for the "Also:" line
    message_id: int  # the post's message; 0 when `refusal` is set
    refusal: EditOutcome | None  # why there is nothing to send now (unsendable)
    post_id: int = 0  # the post's outbox row, which keeps the photo the message shows
    shown_photo: str | None = None  # that photo (None: a text post, or not known)


async def edit_target(tx: Transaction, edit: Delivery) -> EditTarget:
    assert edit.article_id is not None  # an edit is of an article's post, never of an alert
    lead = await tx.articles.article(edit.article_id)
    if lead is None:
        return EditTarget(None, (), 0, None)
    also: tuple[Article, ...] = ()
    if lead.story_id is not None:
        story = (await tx.articles.story_articles([lead.story_id])).get(lead.story_id, [])
        also = tuple(a for a in story if a.id != lead.id)
    post = await tx.outbox.delivery(edit.article_id, edit.chat_id, edit.thread_id)
    refusal = unsendable(post)
    if post is None or refusal is not None:
        return EditTarget(lead, also, 0, refusal)
    return EditTarget(lead, also, post.message_id or 0, None, post.id, post.photo)


def kept_photo(chat_id: int, photo: str | None) -> str | None:
    """The photo a sent post keeps for its edits: only a channel's post is ever edited (a
    story's lead), and a private chat's post, nearly every row of a fan-out, keeps none (a URL
    a row in the sent archive for nothing). Channels and groups have negative ids. Pure."""
    return photo if chat_id < 0 else None


def changes_photo(shown: str | None, current: str | None) -> bool:
    """Whether an edit replaces the post's photo: the post is known to show one and the
    article's usable image (bot.formatting's photo form) is another one. Pure.

    Not when nothing is known to be shown: a text post stays text (editMessageMedia could add
    a photo to it, but its text is a message's, up to 4096 units, not a caption's 1024, and a
    post often went out as text because Telegram refused that very photo), and a post sent
    before photos were kept is edited as before, its caption alone. Not when the image no
    longer qualifies either: the post keeps its photo and gets its caption edited."""
    return shown is not None and current is not None and current != shown


def unsendable(post: Delivery | None) -> EditOutcome | None:
    """Why an edit cannot be sent now, from its post's row; None when the post can be edited.
    Pure: the worker applies it like any answer from Telegram."""
    if post is None:
        return Rejected("the article was never posted to this chat: nothing to edit")
    if post.status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING):
        return PostPending()
    if post.status is not DeliveryStatus.SENT or post.message_id is None:
        return Rejected(f"the post was not sent ({post.status.value}): nothing to edit")
    return None
