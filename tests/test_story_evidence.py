"""Anchors (jobs.story_evidence): the distinctive evidence read from a title and an excerpt,
a table of our own sentences, one row a kind; and what two articles' anchors share."""

from __future__ import annotations

import pytest
from rapidfuzz import utils

from jobs import story_evidence

SMALL = frozenset(
    {"a", "as", "the", "of", "for", "to", "with", "is", "it", "its", "and", "now", "you"}
)
IGNORE = SMALL | story_evidence.topic_words(["Acme Apps", "AI"])


def _spell(text: str) -> str:
    # as jobs.stories spells what it compares, less its unit spelling ("38M")
    return " ".join(word for word in utils.default_process(text).split() if word not in SMALL)


def _anchors(title: str, excerpt: str = "") -> story_evidence.Anchors:
    return story_evidence.anchors(title, excerpt, IGNORE, _spell)


# (label, title, excerpt, anchors expected, anchors not expected)
ROWS = [
    ("a rare word", "Quarkbase opens to every maker", "", {"quarkbase"}, {"opens", "maker"}),
    ("a model name with its number", "Vendor brings ZX-9 to its builder", "", {"zx 9"}, set()),
    ("a common name with a number is no model", "COVID-19 tracing apps", "", set(), {"covid 19"}),
    (
        "amounts of millions and billions",
        "Leak exposes 38 million records",
        "A $1.5 billion round; 70 of them.",
        {"38 million", "1 5 billion"},
        {"70"},
    ),
    (
        "a name in a lede, in pairs",
        "",
        "It said Pro Bowling League signed.",
        {
            "bowling league",
        },
        {"it said", "pro"},
    ),
    (
        "a name joined by for",
        "Reshape work with Quarkbase for Teams, now live",
        "",
        {"quarkbase teams"},
        set(),
    ),
    (
        "no names from a Title Case headline",
        "Vendor Makes Big Changes To Pricing",
        "",
        set(),
        {
            "makes big",
            "changes pricing",
        },
    ),
    (
        "a quoted phrase and a long compound",
        "Portals become ‘Web Pages’, now pay-as-you-go",
        "",
        {
            "web pages",
            "pay go",
        },
        set(),
    ),
    (
        "topic words are no evidence",
        "Acme Apps Studio gets AI Builder",
        "",
        set(),
        {
            "acme apps",
            "apps studio",
            "ai builder",
        },
    ),
]


@pytest.mark.parametrize(
    ("title", "excerpt", "found", "absent"),
    [pytest.param(t, e, f, a, id=label) for label, t, e, f, a in ROWS],
)
def test_anchors(title: str, excerpt: str, found: set[str], absent: set[str]) -> None:
    anchors = _anchors(title, excerpt)
    every = anchors.headline | anchors.lede
    assert found <= every
    assert not absent & every


def _evidence(a: tuple[str, str], b: tuple[str, str]) -> story_evidence.Evidence:
    """What two articles, each (title, excerpt), share."""
    return story_evidence.evidence(
        _anchors(*a),
        _spell(a[0]),
        _spell(" ".join(a)),
        _anchors(*b),
        _spell(b[0]),
        _spell(" ".join(b)),
    )


def test_evidence_counts_a_name_once_and_knows_where_it_stands() -> None:
    found = _evidence(
        ("Acme announces Quarkbase for Teams", ""),
        ("Reshape work", "Quarkbase for Teams is out, says Acme."),
    )
    assert found.shared == ("quarkbase teams",)  # "quarkbase" is inside it
    assert found.in_a_title == ("quarkbase teams",)
    assert found.in_both_titles == ()
    assert found.named_in_a_title == ("quarkbase teams",)
    assert not found.apart


def test_a_figure_or_a_rare_word_in_a_title_is_no_name() -> None:
    found = _evidence(
        ("Leak exposes 38 million Quarkbase records", ""),
        ("Roundup", "The 38 million records of the Quarkbase leak are a lesson."),
    )
    assert found.in_a_title == ("38 million", "quarkbase")
    assert found.named_in_a_title == ()


def test_names_and_proper_words() -> None:
    anchors = _anchors(
        "Vendor’s new feature turns notes into apps",
        "Showing its AI work, Vendor today announced Sketch Studio, which runs on Windows and "
        "iOS. Both NASA and Vendor's rivals use it.",
    )
    assert "sketch studio" in anchors.names
    # any capital but a sentence's first letter, however common the word; topic words aside
    assert anchors.proper == {"vendor", "sketch", "studio", "windows", "ios", "nasa"}
    # capitals say nothing in a Title Case headline
    assert _anchors("Vendor Makes Big Changes To Windows Pricing").proper == frozenset()
