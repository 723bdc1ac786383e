"""Same-story detection (jobs.stories): a labelled table of pairs modelled on the corpus (our own
wording), and the assignment of a run's articles to stories."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from jobs.stories import (
    Joins,
    JoinsNew,
    Starts,
    assign_stories,
    content_version,
    same_story,
)
from storage.records import Article

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _article(
    title: str,
    excerpt: str = "",
    domain: str = "news.example",
    id_: int = 1,
    topics: tuple[str, ...] = ("AI",),
) -> Article:
    return Article(
        id=id_,
        url=f"https://{domain}/{abs(hash(title))}",
        link=f"https://{domain}/{abs(hash(title))}",
        title=title,
        excerpt=excerpt,
        source_name=domain.split(".")[0].title(),
        source_domain=domain,
        image_url=None,
        heat=100,
        published=True,
        published_at=NOW,
        topics=topics,
        first_seen_at=NOW,
        updated_at=NOW,
    )


LEAK = "Misconfigured low-code portals leave 41 million customer records open to anyone"
APPS = ("Acme Apps",)  # the topic of the vendor's stories: its words are no evidence
PORTALS = ("Acme Apps", "Portals")

# An article is (title, outlet[, excerpt[, topics]]), published at NOW.
Side = tuple[str, str] | tuple[str, str, str] | tuple[str, str, str, tuple[str, ...]]


def _about(topics: tuple[str, ...], title: str, outlet: str, excerpt: str = "") -> Side:
    return (title, outlet, excerpt, topics)


# Two outlets' write-ups of one event, published at the same minute.
ROUNDUP = _about(
    APPS,
    "Acme Apps sees updates from Vendor, including tight chat integration",
    "venturewire.example",
    "Vendor has introduced updates across Acme Apps, including new Acme Apps desktop apps for "
    "Windows and Linux.",
)
PREVIEW = _about(
    APPS,
    "Acme Apps desktop apps now in preview, other services get improvements too",
    "winnews.example",
    "Both Windows and Linux now run Acme Apps desktop apps in preview; other parts of the "
    "platform got updates as well.",
)

# (label, same story?, first, second), every article published at the same minute (see
# test_proper_words_count_within_the_hour)
PAIRS: list[tuple[str, bool, Side, Side]] = [
    # one leak told by several outlets, each in its own words
    (
        "leak: reworded headline",
        True,
        (LEAK, "securitydaily.example"),
        ("Low-code portal misconfiguration exposes 41 million records", "techwire.example"),
    ),
    (
        "leak: figures abbreviated",
        True,
        ("Low-code portal misconfiguration exposes 41M records", "itnews.example"),
        ("Low-code portal misconfigurations expose 41 million records", "computerweek.example"),
    ),
    (
        "leak: headline reordered, excerpt agrees",
        True,
        (
            "41 million records exposed because companies kept default portal settings",
            "winblog.example",
            "Researchers found 41 million records, from vaccination data to staff emails, left "
            "public by portals running the default low-code permissions.",
        ),
        (
            "Low-code portal tool exposed 41 million records by default",
            "infosec.example",
            "Default permissions in a low-code portal tool left 41 million records public, "
            "researchers say, including vaccination data and staff emails.",
        ),
    ),
    (
        "leak: 41M in one headline, 41 million in the other",
        True,
        ("Acme Portals misconfiguration exposes 41 million data records", "zd.example"),
        ("Acme Portals users inadvertently exposed 41M personal info records", "rm.example"),
    ),
    (
        "leak: 41m and 41 million, reworded",
        True,
        ("41 million records exposed, Acme Portals blamed", "wincentral.example"),
        ("Acme Portals data leak revealed 41m private records", "siliconie.example"),
    ),
    (
        "leak: the fallout retold in other words",
        True,
        _about(
            PORTALS,
            "Acme Portals data leak fallout: 41 million records exposed, city governments among "
            "those breached",
            "privacymag.example",
        ),
        _about(PORTALS, "Acme Portals contributed to a data exposure of 41M people", "tn.example"),
    ),
    (
        "leak: its figure in one headline, in the other's lede",
        True,
        _about(
            PORTALS,
            "Companies using Acme Portals got their records exposed",
            "winreport.example",
            "More than 41 million records got leaked online because companies kept the default "
            "configurations of Acme Portals.",
        ),
        _about(
            PORTALS,
            "Acme Portals misconfiguration exposes 41 million data records",
            "zd.example",
            "The leaks hit an airline, a haulier and three city governments, says SecureCo.",
        ),
    ),
    (
        "leak: one headline contains the other",
        True,
        ("Cloud vendor fleshes out its app builder", "infoworld.example"),
        ("Cloud vendor fleshes out its app builder", "reseller.example"),
    ),
    (
        "one story under two URLs of one outlet",
        True,
        ("Vendor changes how you pay for its app builder", "techradar.example"),
        ("Vendor changes how you pay for its app builder", "techradar.example"),
    ),
    (
        "press release syndicated with a prefix",
        True,
        ("RE-TRANSMISSION: Acme releases HelpDesk, a new family of service apps", "wire.example"),
        ("Acme releases HelpDesk, a new family of service apps", "markets.example"),
    ),
    (
        "funding round, different verbs",
        True,
        ("AI-powered disinformation detection startup Bluejay nabs $12M", "startups.example"),
        (
            "Bluejay grabs $12M to help brands counter disinformation with AI",
            "funding.example",
            "Bluejay, which detects coordinated disinformation campaigns with AI, raised $12M.",
        ),
    ),
    (
        "one outlet syndicates a release again under a prefix (and a typo)",
        True,
        (
            "RE-TRANSMISSION: Acme releases HelpDesk, a new family of ITSM service apps",
            "wire.example",
        ),
        ("Acme releases HelpDesk, a new family of ISTM service apps", "wire.example"),
    ),
    # paraphrases that share little but the news's names and figures
    (
        "a product's name both headlines give",
        True,
        _about(
            APPS,
            "Reshape how you work with Acme Quarkbase for Teams—now generally available",
            "vendorblog.example",
            "The low-code data platform behind Acme CRM has a new name: Acme Quarkbase.",
        ),
        _about(
            APPS,
            "Acme announces general availability of new Acme Apps and Quarkbase for Teams",
            "winnews.example",
            "Anyone can now build apps and bots inside Acme Chat with little code.",
        ),
    ),
    (
        "a model's name with its number in both headlines",
        True,
        _about(APPS, "Acme uses ZX-9 to add AI features to Acme Apps", "venture.example"),
        _about(APPS, "ZX-9 integration in Acme Apps", "dailyindia.example"),
    ),
    (
        "a compound both headlines name",
        True,
        _about(
            APPS,
            "Low-code with low risk: announcing pay-as-you-go for Acme Apps (public preview)",
            "vendorblog.example",
        ),
        _about(
            APPS,
            "Acme Apps gets pay-as-you-go licensing; Acme CRM gets more new modules",
            "zd.example",
        ),
    ),
    (
        "two names of the deal in headlines and ledes",
        True,
        (
            "Pro Bowling League partners with Nimbus for cloud services",
            "tvtech.example",
            "Nimbus Rekog will tag every clip, said Pro Bowling League commissioner Jo Doe.",
        ),
        (
            "Pro Bowling League signs up with Nimbus, looks to AI to keep its fans",
            "cloudnews.example",
            "The league is after products such as Nimbus Rekog to annotate its archive.",
        ),
    ),
    (
        "a product's name in one lede and the other's headline, which say alike",
        True,
        _about(
            APPS,
            "Vendor’s new Acme Apps feature turns paper notes into apps",
            "startupnews.example",
            "Showing off its AI work, Vendor today announced Acme Apps Sketch Studio, a new "
            "feature of its low-code service that converts an uploaded drawing into an app.",
        ),
        _about(
            APPS,
            "New: turn photos and drawings into apps with AI-powered sketch studio",
            "vendorblog.example",
            "Low code keeps growing fast; analysts expect most new business software to be built "
            "with it.",
        ),
    ),
    (
        "the same minute, other headlines, two proper words in both ledes",
        True,
        ROUNDUP,
        PREVIEW,
    ),
    (
        "leak: the verb spelt otherwise, the figure rounded",
        True,
        _about(
            PORTALS,
            "Vendor Acme Portals misconfiguration exposes millions of records",
            "welive.example",
        ),
        _about(
            PORTALS,
            "Vendor Acme Portals faced multiple leaks, data of 41 million users exposed",
            "ts.example",
        ),
    ),
    # near misses: related, but different news
    (
        "one outlet's two how-to posts share its house words",
        False,
        ("App portals: frequently asked questions", "vendorblog.example"),
        ("Update the app portals solution", "vendorblog.example"),
    ),
    (
        "one outlet, two different general-availability announcements",
        False,
        (
            "Announcing general availability of portal search improvements",
            "vendorblog.example",
            "We are happy to announce that the following features are now generally available.",
        ),
        (
            "Announcing general availability of code components for forms",
            "vendorblog.example",
            "We are happy to announce that the following features are now generally available.",
        ),
    ),
    (
        "part 1 and part 2 of a series",
        False,
        ("Secure your notebooks with signed URLs, part 1", "cloudblog.example"),
        ("Secure your notebooks with signed URLs, part 2", "cloudblog.example"),
    ),
    (
        "one outlet's series, one part under a digest prefix",
        False,
        ("Weekly digest: Secure your notebooks with signed URLs, part 1", "cloudblog.example"),
        ("Secure your notebooks with signed URLs, part 2", "cloudblog.example"),
    ),
    (
        "two announcements at one conference",
        False,
        _about(APPS, "Vendor announces Acme Apps developer plan", "neowin.example"),
        _about(APPS, "Vendor announces Quillsoft as Acme Apps partner", "channel.example"),
    ),
    (
        "the leak and the vendor's later fix",
        False,
        (LEAK, "securitydaily.example"),
        (
            "Vendor changes portal defaults after customer data exposure",
            "crn.example",
            "After researchers reported the exposure, the vendor now makes new portals private.",
        ),
    ),
    (
        "the vendor's follow-up quotes the leak's figure in its lede",
        False,
        _about(
            PORTALS,
            "Acme Portals misconfiguration exposes data from 41 million records",
            "itpro.example",
        ),
        _about(
            PORTALS,
            "Acme updates Portals after 'sensitive data' breach: SecureCo",
            "crn.example",
            "Several Acme Apps customers, Acme itself included, are said to have exposed 41 "
            "million records through portals open to the public.",
        ),
    ),
    (
        "the vendor's follow-up names what the leak's story does not",
        False,
        _about(
            PORTALS,
            "Acme Apps data breach exposes 41 million people",
            "dailynews.example",
            "Acme Apps were breached, exposing phone numbers and home addresses.",
        ),
        _about(
            PORTALS,
            "Acme updates Acme Apps after ‘sensitive data’ breach: SecureCo",
            "crn.example",
            "Several customers are said to have exposed 41 million records through portals.",
        ),
    ),
    (
        "a short title shares one word besides its topic",
        False,
        ("Canvas apps come to Contoso", "vendorblog.example", "", ("Acme Apps", "Canvas apps")),
        _about(APPS, "Contoso brings assistance to Acme Apps", "dqnews.example"),
    ),
    (
        "the same figure in two funding rounds",
        False,
        (
            "Holovid raises $20 million for its metaverse video tech",
            "forbes.example",
            "The startup wants anyone to make volumetric video for the metaverse.",
        ),
        (
            "Logistics startup Parcelo raises $20 million",
            "techcrunch.example",
            "Parcelo, which tracks parcels for online shops, said it raised $20 million.",
        ),
    ),
    (
        "house words and the topic are no story",
        False,
        _about(APPS, "Acme Fx: open source now available", "vendorblog.example"),
        _about(
            APPS,
            "Acme Apps mobile apps now available, other services receive enhancements as well",
            "winnews.example",
        ),
    ),
    (
        "one rare product word in both headlines is not enough",
        False,
        _about(APPS, "Acme Chat apps and Quarkbase integrations leave preview", "buzz.example"),
        _about(APPS, "Manage Acme Quarkbase environments in Acme Chat", "vendorblog.example"),
    ),
    (
        "a common phrase both titles use",
        False,
        (
            "Facial Recognition Market Research Report, Upcoming Trends and Forecast",
            "marketwire.example",
            "The Facial Recognition Market report covers the leading vendors.",
        ),
        (
            "Gulf bank is the first to use facial recognition for account opening",
            "bankingnews.example",
        ),
    ),
    (
        "the same minute, one proper word in common",
        False,
        _about(
            APPS,
            "Vendor repackages its licensing for Acme Apps and Acme CRM",
            "zd.example",
            "Vendor keeps reshaping how Windows shops pay for its business software.",
        ),
        PREVIEW,
    ),
    (
        "two market reports: a research firm's name, a year",
        False,
        (
            "Quartz sensor market research report, trends and forecast 2024 to 2029",
            "marketwire.example",
            "The quartz sensor market grew by about a tenth a year, a new study finds.",
        ),
        (
            "Global robot vision market expected to grow steadily over 2024-2030",
            "pressnews.example",
            "The study, published by Orion Market Research, looks at the global robot vision "
            "market and its leading vendors.",
        ),
    ),
    (
        "same company, unrelated news",
        False,
        ("Chipmaker weighs buyout of RISC-V designer", "markets.example"),
        ("Chipmaker opens new research lab in Haifa", "techwire.example"),
    ),
    (
        "an empty title matches nothing",
        False,
        ("", "a.example"),
        ("", "b.example"),
    ),
]


def _side(side: Side, id_: int) -> Article:
    title, domain, *rest = side
    excerpt = rest[0] if rest else ""
    topics = rest[1] if len(rest) > 1 else ("AI",)
    return _article(title, str(excerpt), domain, id_, tuple(topics))


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [pytest.param(_side(a, 1), _side(b, 2), same, id=label) for label, same, a, b in PAIRS],
)
def test_same_story(first: Article, second: Article, expected: bool) -> None:
    assert same_story(first, second) is expected
    assert same_story(second, first) is expected


@pytest.mark.parametrize(
    ("apart", "same"),
    [(timedelta(0), True), (timedelta(minutes=59), True), (timedelta(hours=5), False)],
)
def test_proper_words_count_within_the_hour(apart: timedelta, same: bool) -> None:
    # an embargo lifts for every outlet at once; hours later, "Windows" and "Linux" in two
    # ledes tell a beat, not one piece of news
    roundup, other = _side(ROUNDUP, 1), _side(PREVIEW, 2)
    later = replace(other, published_at=NOW + apart)
    assert same_story(roundup, later) is same
    assert same_story(later, roundup) is same
    assert not same_story(roundup, replace(other, published_at=None))


def test_entities_and_case_do_not_matter() -> None:
    a = _article("Vendor&#8217;s app builder gets AI &amp; more", domain="a.example")
    b = _article("VENDOR’S APP BUILDER GETS AI & MORE", domain="b.example")
    assert same_story(a, b)


def test_an_article_joins_the_open_story_it_matches_best() -> None:
    leak = _article(LEAK, domain="securitydaily.example", id_=1)
    other = _article("Chipmaker opens new research lab in Haifa", domain="b.example", id_=2)
    open_stories = {10: [other], 20: [leak]}
    new = _article(
        "Low-code portal misconfiguration exposes 41 million records", domain="c.example", id_=3
    )
    assert assign_stories([new], open_stories) == [Joins(20)]


def test_articles_of_one_run_form_stories_among_themselves() -> None:
    first = _article(LEAK, domain="a.example", id_=1)
    unrelated = _article("Chipmaker opens new research lab in Haifa", domain="b.example", id_=2)
    second = _article(
        "Low-code portal misconfiguration exposes 41 million records", domain="c.example", id_=3
    )
    # matches the second only: the story is still the first article's
    third = _article(
        "Low-code portal misconfigurations expose 41M records", domain="d.example", id_=4
    )
    assert assign_stories([first, unrelated, second, third], {}) == [
        Starts(),
        Starts(),
        JoinsNew(0),
        JoinsNew(0),
    ]


def test_content_version_ignores_heat_but_not_title_excerpt_or_outlets() -> None:
    lead = _article(LEAK, "An excerpt.", id_=1)
    other = _article("Another outlet", domain="other.example", id_=2)
    version = content_version(lead, [])
    assert content_version(replace(lead, heat=300), []) == version
    assert content_version(replace(lead, title=LEAK + "!"), []) != version
    assert content_version(replace(lead, excerpt="Changed."), []) != version
    assert content_version(lead, [other]) != version
