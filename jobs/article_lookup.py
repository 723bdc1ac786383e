"""Which stored article an admin means by a link (/publish, /preview), and the rest of its story.

Rule: the article stored under the link's identity (jobs.ingest.urls.normalise_url); else the
one whose posted link (clean_link) is the link: an admin copies the link a post shows, which
lacks the parameters that are tracking on its site but part of the stored identity (`ocid`…).
"""

from __future__ import annotations

from jobs.ingest.urls import clean_link, normalise_url
from storage.records import Article
from storage.unit_of_work import Transaction


async def article_by_link(tx: Transaction, link: str) -> Article | None:
    key = normalise_url(link)
    if key is None:
        return None
    article = await tx.articles.article_by_url(key)
    if article is not None:
        return article
    shown = normalise_url(clean_link(key))
    address = key.partition("?")[0]
    for candidate in await tx.articles.articles_with_query(address):
        if normalise_url(clean_link(candidate.link)) == shown:
            return candidate
    return None


async def story_others(tx: Transaction, article: Article) -> tuple[Article, ...]:
    """The other articles of the article's story, as its post's "Also:" line names them (the
    same list the delivery worker reads, jobs.delivery.claimed)."""
    if article.story_id is None:
        return ()
    story = (await tx.articles.story_articles([article.story_id])).get(article.story_id, [])
    return tuple(other for other in story if other.id != article.id)
