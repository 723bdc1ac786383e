"""A run's candidates gathered from the database, and what jobs.selection makes of them.

The database narrows by the same rules as the pure selection, hottest first and no more than a
run can post; only an `exclude` phrase (not news) can still make such a candidate ineligible, so
when teasers took places the next candidates are read too. Rising stories below the threshold
come from their own prefilter, and every candidate's heat history is read in one query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jobs.selection import PublishRules, not_news, select_new
from storage.records import Article
from storage.state_keys import NOT_NEWS_KEY
from storage.unit_of_work import Transaction

# Pages of candidates read while not-news teasers take the places: a few teasers at most sit in
# a day's window, so this bounds a run, not the result.
MAX_PAGES = 10


@dataclass(frozen=True, slots=True)
class RunSelection:
    selected: list[Article]  # what to post, hottest first; rising stories marked `rising`
    not_news: list[Article]  # candidates left out for an `exclude` phrase


async def choose(
    tx: Transaction, rules: PublishRules, channel_id: int, now: datetime
) -> RunSelection:
    """What a run posts now; reads only (record_choice writes what it decided)."""
    prefilter = rules.prefilter(now)
    candidates: list[Article] = []
    for page in range(MAX_PAGES):
        batch = await tx.articles.selection_candidates(
            prefilter, channel_id, offset=page * prefilter.limit
        )
        candidates += batch
        if (
            len(batch) < prefilter.limit
            or len(select_new(candidates, now, rules)) >= rules.max_per_run
        ):
            break
    if rules.rising is not None:
        candidates += await tx.articles.rising_candidates(
            prefilter, rules.rising.prefilter(), channel_id
        )
    histories = await tx.heat.histories([a.id for a in candidates]) if rules.rising else {}
    return RunSelection(
        select_new(candidates, now, rules, histories=histories),
        not_news(candidates, now, rules, histories),
    )


async def record_choice(tx: Transaction, choice: RunSelection, now: datetime) -> None:
    """Mark the rising stories (their posts carry 📈) and count the teasers left out."""
    await tx.articles.mark_rising([a.id for a in choice.selected if a.rising], now)
    await tx.state.set(NOT_NEWS_KEY, str(len(choice.not_news)))
