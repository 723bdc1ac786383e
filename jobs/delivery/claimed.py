"""What claimed posts need when their turn comes, read with the claim (in its transaction): the
articles (cached: a fan-out sends one article to many chats), their stories' other articles
(checked at every claim, read again when the story changed: a post names the story's outlets
on its "Also:" line, as they are when it goes out) and each delivery's SendOptions
(jobs.delivery.options)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from jobs.delivery.options import claimed_options
from jobs.delivery.outcomes import SendOptions
from storage.records import Article, Delivery, DeliveryKind
from storage.unit_of_work import Transaction

CACHED_ARTICLES = 1000  # a cache, not an archive: memory stays flat


class ClaimedPosts:
    def __init__(self) -> None:
        self._articles: dict[int, Article] = {}
        # story id -> its articles, and what they were read at (ArticleRepository.story_stamps)
        self._stories: dict[int, tuple[Article, ...]] = {}
        self._stamps: dict[int, tuple[int, int, datetime]] = {}
        self._also: dict[int, tuple[Article, ...]] = {}  # article id -> also(article), as last read
        # delivery id -> how it goes (the subscriber's settings when it was claimed)
        self._options: dict[int, SendOptions] = {}

    async def read(self, tx: Transaction, batch: Sequence[Delivery]) -> None:
        if len(self._articles) > CACHED_ARTICLES:
            self._articles.clear()
            self._stories.clear()
            self._stamps.clear()
            self._also.clear()
        posts = {d.article_id or 0 for d in batch if d.kind is DeliveryKind.POST}
        posts.discard(0)  # a post always has its article; ids start at 1
        missing = posts - self._articles.keys()
        if missing:
            self._articles.update(await tx.articles.articles(missing))
        found = (self._articles.get(post) for post in posts)
        await self._read_stories(tx, {a.story_id for a in found if a and a.story_id is not None})
        # posts and digests (a digest keeps the subscriber's Silent choice)
        self._options.update(await claimed_options(tx, batch, self._articles))

    async def _read_stories(self, tx: Transaction, story_ids: set[int]) -> None:
        """The stories' articles, read again only where a story changed since (its stamp)."""
        if not story_ids:
            return
        stamps = await tx.articles.story_stamps(story_ids)
        changed = [s for s, stamp in stamps.items() if self._stamps.get(s) != stamp]
        if changed:
            found = await tx.articles.story_articles(changed)
            self._stories.update({s: tuple(found.get(s, ())) for s in changed})
            self._stamps.update({s: stamps[s] for s in changed})
            self._also.clear()

    def article(self, article_id: int) -> Article | None:
        return self._articles.get(article_id)

    def also(self, article: Article) -> tuple[Article, ...]:
        """The other articles of the article's story (the same list for every send of it until
        the story changes: a fan-out asks once per chat)."""
        also = self._also.get(article.id)
        if also is None:
            story = self._stories.get(article.story_id or 0, ())
            also = self._also[article.id] = tuple(a for a in story if a.id != article.id)
        return also

    def options(self, delivery: Delivery) -> SendOptions:
        """The delivery's SendOptions, forgotten once asked for (each is sent once)."""
        return self._options.pop(delivery.id, None) or SendOptions(delivery.thread_id)

    def forget(self, deliveries: Sequence[Delivery]) -> None:
        """These claimed deliveries will not be sent by this claim (handed back, cancelled)."""
        for delivery in deliveries:
            self._options.pop(delivery.id, None)
