"""publish.max_per_source: at most that many posts of one outlet in a run, the rest left for later
runs; pure rules as a table, then a run on real databases where the cap reaches past the first
page of candidates."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobs.publishing import publish_run
from jobs.selection import PublishRules, select_new, source_key
from storage.records import Article, ChatKind
from tests.article_factory import stored_article, write_article
from tests.conftest import Db

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
RULES = PublishRules(min_heat=100, max_age=timedelta(hours=24), max_per_run=5)


def article(id_: int, heat: int, source: str | None, link: str = "") -> Article:
    link = link or f"https://example.com/{id_}"
    return stored_article(NOW, id=id_, url=link, link=link, heat=heat, source_name=source)


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"source_name": "Microsoft"}, "microsoft"),
        ({"source_name": "  The   Verge "}, "the verge"),  # spacing and case do not split one
        ({"source_name": "", "source_domain": "venturebeat.com"}, "venturebeat.com"),
        ({"source_name": None, "link": "https://www.youtube.com/watch?v=x"}, "youtube.com"),
        ({"source_name": None, "link": "https://[broken/x"}, ""),  # no host, no crash
    ],
)
def test_an_article_counts_for_its_named_outlet(changes: dict[str, object], key: str) -> None:
    assert source_key(replace(stored_article(NOW), **changes)) == key  # type: ignore[arg-type]


def test_the_cap_keeps_the_hottest_of_each_outlet_and_fills_with_others() -> None:
    candidates = [
        article(1, 200, "Microsoft"),
        article(2, 190, "microsoft"),
        article(3, 180, "Microsoft", link="https://www.youtube.com/watch?v=a"),
        article(4, 170, "Forbes"),
        article(5, 160, "Microsoft"),
        article(6, 150, None, link="https://medium.com/x"),
        article(7, 140, "Forbes"),
        article(8, 130, "CNBC"),
    ]
    assert [a.id for a in select_new(candidates, NOW, RULES)] == [1, 2, 3, 4, 5]
    capped = replace(RULES, max_per_source=2)
    assert [a.id for a in select_new(candidates, NOW, capped)] == [1, 2, 4, 6, 7]
    one = replace(RULES, max_per_source=1)
    assert [a.id for a in select_new(candidates, NOW, one)] == [1, 4, 6, 8]


async def test_a_run_reads_past_one_outlets_page_to_fill_its_places(db: Db, tmp_path: Path) -> None:
    for n in range(10):  # one prolific outlet, hotter than everything else
        write_article(
            tmp_path,
            f"blog{n}.md",
            url=f"https://blog.example.com/{n}",
            heat=200 - n,
            provider="Big Blog",
            published_at=NOW,
        )
    for n, name in enumerate(["Other News", "Third Daily"]):
        write_article(
            tmp_path,
            f"other{n}.md",
            url=f"https://other{n}.example.org/a",
            heat=150 - n,
            provider=name,
            domain=f"other{n}.example.org",
            published_at=NOW,
        )
    async with db.uow() as tx:
        await tx.chats.ensure_chat(-1001, ChatKind.CHANNEL, "news", NOW)
    rules = PublishRules(min_heat=100, max_age=None, max_per_run=3, max_per_source=1)
    first = await publish_run(db.uow, [tmp_path], rules, -1001, clock=lambda: NOW)
    assert [a.url for a in first.selected] == [
        "https://blog.example.com/0",
        "https://other0.example.org/a",
        "https://other1.example.org/a",
    ]
    later = NOW + timedelta(minutes=5)
    second = await publish_run(db.uow, [tmp_path], rules, -1001, clock=lambda: later)
    assert [a.url for a in second.selected] == ["https://blog.example.com/1"]  # its turn came
