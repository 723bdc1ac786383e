"""Which topic a user means: queries against the corpus's topic names, as a table."""

from __future__ import annotations

import time

import pytest

from jobs.topic_index import match_key, topic_index, words_of
from jobs.topic_matching import (
    MAX_QUERIES,
    START_PARAMETER,
    Ambiguous,
    Match,
    NoMatch,
    Resolution,
    TooManyQueriesError,
    resolve_topic,
    resolve_topics,
    split_queries,
    topic_from_slug,
    topic_slug,
)
from tests.topic_names import CORPUS_TOPICS

TOPICS = (*CORPUS_TOPICS, "Power Apps")
AI_IN = ("AI in Autos", "AI in Finance", "AI in Healthcare", "AI in Robotics")


def match(topic: str) -> tuple[str, str]:
    return ("match", topic)


def ambiguous(*candidates: str) -> tuple[str, tuple[str, ...]]:
    return ("ambiguous", candidates)


def no_match(*suggestions: str) -> tuple[str, tuple[str, ...]]:
    return ("none", suggestions)


def outcome(resolution: Resolution) -> tuple[str, object]:
    if isinstance(resolution, Match):
        return match(resolution.topic)
    if isinstance(resolution, Ambiguous):
        return ambiguous(*resolution.candidates)
    return no_match(*resolution.suggestions)


RESOLUTIONS = [
    # 1. exact key: case, '#', spaces, hyphens, underscores and width do not matter
    ("ai", match("AI")),
    ("AI", match("AI")),
    ("#AI", match("AI")),
    ("computer vision", match("Computer Vision")),
    ("#ComputerVision", match("Computer Vision")),
    ("computer-vision", match("Computer Vision")),
    ("computer_vision", match("Computer Vision")),
    ("COMPUTERVISION", match("Computer Vision")),
    ("  Computer   Vision  ", match("Computer Vision")),
    ("ＡＩ", match("AI")),  # full-width, as an East Asian keyboard types it
    ("#ＴｅｎｓｏｒＦｌｏｗ", match("TensorFlow")),
    ("ｐｏｗｅｒ　ａｐｐｓ", match("Power Apps")),  # ideographic space
    # 2. acronym: initials of two or more words, camel case included
    ("nlp", match("Natural Language Processing")),
    ("NLP", match("Natural Language Processing")),
    ("#nlp", match("Natural Language Processing")),
    ("n.l.p.", match("Natural Language Processing")),
    ("ml", match("Machine Learning")),
    ("cv", match("Computer Vision")),
    ("tf", match("TensorFlow")),
    ("aih", match("AI in Healthcare")),
    ("aa", match("AWS AI")),
    ("ma", ambiguous("Meta AI", "Microsoft AI")),  # wins over the prefix of "Machine Learning"
    # 3. prefix of the name, before a prefix of a later word
    ("aws", match("AWS AI")),
    ("ibm", match("IBM AI")),
    ("tensor", match("TensorFlow")),
    ("comp", match("Computer Vision")),
    ("micro", match("Microsoft AI")),
    ("go", match("Google AI")),
    ("ai e", match("AI Ethics")),
    ("ai h", match("AI Hardware")),  # with a space it is words, not the initials "aih"
    ("ai in", ambiguous(*AI_IN)),
    ("AI-IN", ambiguous(*AI_IN)),
    ("ai in rob", match("AI in Robotics")),
    ("mach learn", match("Machine Learning")),
    ("comp vis", match("Computer Vision")),
    ("nat lang", match("Natural Language Processing")),
    # ... of a later word
    ("vision", match("Computer Vision")),
    ("robotics", match("AI in Robotics")),
    ("rob", match("AI in Robotics")),
    ("health", match("AI in Healthcare")),
    ("learn", match("Machine Learning")),
    ("flow", match("TensorFlow")),
    ("apps", match("Power Apps")),
    ("in", ambiguous(*AI_IN)),
    ("lang proc", match("Natural Language Processing")),
    # 4. nothing fits: closest names by similarity, best first
    ("machin lerning", no_match("Machine Learning")),
    ("robotcs", no_match("AI in Robotics")),
    ("visoin", no_match("Computer Vision")),
    ("helthcare", no_match("AI in Healthcare")),
    ("ai in helthcare", no_match("AI in Healthcare")),
    ("tensorflw", no_match("TensorFlow")),
    ("goggle", no_match("Google AI")),
    ("faceboook ai", no_match("Facebook AI")),
    ("a", no_match("AI")),  # one character never prefix-matches
    ("x", no_match()),
    ("quantum computing", no_match()),
    ("###", no_match()),
    ("", no_match()),
]


@pytest.mark.parametrize(("query", "expected"), RESOLUTIONS)
def test_resolve_topic(query: str, expected: tuple[str, object]) -> None:
    resolution = resolve_topic(query, TOPICS)
    assert resolution.query == query
    assert outcome(resolution) == expected


@pytest.mark.parametrize(("query", "expected"), RESOLUTIONS)
def test_the_order_of_known_topics_does_not_matter(
    query: str, expected: tuple[str, object]
) -> None:
    assert outcome(resolve_topic(query, TOPICS[::-1])) == expected


@pytest.mark.parametrize(
    ("query", "topics", "expected"),
    [
        ("ai", [], no_match()),
        ("machin lerning", [], no_match()),
        ("r", ["R", "Rust"], match("R")),  # short queries still match exactly
        ("ml", ["ML", "Machine Learning"], match("ML")),  # exact beats acronym
        ("robot", ["AI in Robotics", "Robotics"], match("Robotics")),  # start beats later word
        ("vision", ["Vision Pro", "Computer Vision"], match("Vision Pro")),
        ("app", ["Power Apps", "Canvas apps"], ambiguous("Canvas apps", "Power Apps")),
        ("STRASSE", ["Straße"], match("Straße")),
        ("İSTANBUL", ["istanbul"], match("istanbul")),
        ("人工", ["人工智能", "AI"], match("人工智能")),
        ("café", ["Cafe", "Café"], match("Café")),
        # one topic spelt two ways: the first spelling given is the one shown
        ("cv", ["computer vision", "Computer Vision"], match("computer vision")),
        ("ai", ["#AI", "AI"], match("#AI")),
        ("", ["AI", "###"], no_match()),
    ],
)
def test_resolve_topic_edge_cases(query: str, topics: list[str], expected: object) -> None:
    assert outcome(resolve_topic(query, topics)) == expected


def test_suggestions_are_at_most_three_ordered_by_closeness() -> None:
    topics = ["Robotic Arms", "AI in Robotics", "Cooking", "Robots", "Robotics"]
    # "AI in Robotics" is as close as "Robotics" by its last word, and yields on the whole key.
    assert resolve_topic("robotcs", topics) == NoMatch(
        "robotcs", ("Robotics", "AI in Robotics", "Robots")
    )


@pytest.mark.parametrize(
    ("text", "queries"),
    [
        ("", []),
        (" , ", []),
        ("\n\n", []),
        ("a,,b", ["a", "b"]),
        ("nlp, #ComputerVision , ai", ["nlp", "#ComputerVision", "ai"]),
        ("nlp\nComputer Vision\r\nai", ["nlp", "Computer Vision", "ai"]),
        ("nlp;ai", ["nlp", "ai"]),
        ("人工智能，机器学习、ai", ["人工智能", "机器学习", "ai"]),  # CJK punctuation
        ("#ai #nlp", ["#ai", "#nlp"]),  # hashtags separate themselves
        ("#Computer Vision", ["#Computer Vision"]),
        ("machine   learning", ["machine learning"]),  # names keep their spaces
        ("  AI in  Healthcare ,", ["AI in Healthcare"]),
        ("C#, F#", ["C#", "F#"]),
    ],
)
def test_split_queries(text: str, queries: list[str]) -> None:
    assert split_queries(text) == queries


def test_resolve_topics_resolves_each_query_in_order() -> None:
    assert resolve_topics("nlp, #ComputerVision , ai in\nrobotcs", TOPICS) == [
        Match("nlp", "Natural Language Processing"),
        Match("#ComputerVision", "Computer Vision"),
        Ambiguous("ai in", AI_IN),
        NoMatch("robotcs", ("AI in Robotics",)),
    ]
    assert resolve_topics(" , ", TOPICS) == []


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("AI", "ai"),
        ("AI in Healthcare", "ai-in-healthcare"),
        ("Natural Language Processing", "natural-language-processing"),
        ("TensorFlow", "tensorflow"),
        ("C++", "c"),
        ("  C++ / C#  ", "c-c"),
        ("Straße", "strasse"),
    ],
)
def test_topic_slug(name: str, slug: str) -> None:
    assert topic_slug(name) == slug


EXOTIC_NAMES = ("Café", "Cafe", "人工智能", "İstanbul", "ＡＩ", "x" * 80, "AI " * 30)


@pytest.mark.parametrize("name", TOPICS + EXOTIC_NAMES)
def test_every_slug_is_a_start_parameter_and_leads_back(name: str) -> None:
    topics = TOPICS + EXOTIC_NAMES
    slug = topic_slug(name)
    assert START_PARAMETER.fullmatch(slug)
    assert slug == slug.lower()
    assert topic_from_slug(slug, topics) == name


def test_distinct_topics_get_distinct_slugs() -> None:
    names = TOPICS + EXOTIC_NAMES
    assert len({topic_slug(name) for name in names}) == len(names)


@pytest.mark.parametrize(
    ("slug", "topic"),
    [
        ("computer-vision", "Computer Vision"),
        ("Computer-Vision", "Computer Vision"),  # hand-typed links
        ("computervision", "Computer Vision"),
        ("computer_vision", "Computer Vision"),
        ("quantum", None),
        ("", None),
        ("computer vision", None),  # Telegram would not deliver it
        ("a" * 65, None),
        ("nlp", None),  # deep links name topics exactly, no guessing
    ],
)
def test_topic_from_slug(slug: str, topic: str | None) -> None:
    assert topic_from_slug(slug, TOPICS) == topic


def test_a_name_without_letters_or_digits_has_no_slug() -> None:
    with pytest.raises(ValueError, match="no letters or digits"):
        topic_slug(" #-# ")


# -- bounded cost ---------------------------------------------------------------------------------


def many_topics(count: int) -> list[str]:
    """TOPICS and made-up multi-word names, deterministic, `count` in all."""
    syllables = ["ro", "bo", "ti", "ca", "neu", "ral", "vi", "sion", "lan", "gua", "ge", "qu"]
    names = list(TOPICS)
    n = 0
    while len(names) < count:
        words = [
            "".join(syllables[(n * 7 + i * 5 + j * 3) % len(syllables)] for j in range(3))
            for i in range(1 + n % 3)
        ]
        names.append(" ".join(w.capitalize() for w in words) + f" {n}")
        n += 1
    return names


def worst_message() -> str:
    """MAX_QUERIES unknown names filling a 4096-character message: each is far from every
    topic by prefix, and near enough in length to be scored for a suggestion."""
    name = "robotic vision language neural ca " * 6
    return ", ".join(f"{name[:190]} {i}" for i in range(MAX_QUERIES))


def test_the_worst_message_resolves_quickly_against_300_topics() -> None:
    # The old names x topics x difflib scan took 3.2 s of CPU for this message (0.2 s at 26
    # topics); the index takes about 10 ms. One second of CPU is far above noise either way.
    topics = many_topics(300)
    text = worst_message()
    assert len(text) <= 4096 and len(split_queries(text)) == MAX_QUERIES
    started = time.process_time()
    resolutions = resolve_topics(text, topics)
    assert time.process_time() - started < 1.0
    assert len(resolutions) == MAX_QUERIES
    assert all(isinstance(r, NoMatch) for r in resolutions)


def test_more_names_than_one_command_may_hold_are_refused_unmatched() -> None:
    text = ", ".join(["ai"] * (MAX_QUERIES + 1))
    with pytest.raises(TooManyQueriesError, match=f"{MAX_QUERIES + 1} names, at most 20"):
        resolve_topics(text, TOPICS)
    assert len(resolve_topics(", ".join(["ai"] * MAX_QUERIES), TOPICS)) == MAX_QUERIES


def test_a_long_name_is_matched_without_scoring_it_against_everything() -> None:
    assert resolve_topic("x" * 4089, many_topics(300)) == NoMatch("x" * 4089, ())
    assert resolve_topic("computer vision " * 200, TOPICS) == NoMatch("computer vision " * 200, ())


def _reference_prefix_start(name: str, key: str, query_words: tuple[str, ...]) -> int | None:
    """The prefix rule as a scan over one topic (the code before the index), to hold the index
    to the same answers."""
    words = words_of(name)
    for start in range(len(words)):
        tail = words[start:]
        if "".join(tail).startswith(key):
            return start
        if 1 < len(query_words) <= len(tail) and all(
            word.startswith(part) for part, word in zip(query_words, tail, strict=False)
        ):
            return start
    return None


PREFIX_QUERIES = [
    "ai", "ai in", "in", "rob", "ma", "mach learn", "ai h", "nat lang proc", "vis", "flow",
    "ro bo", "neu", "ca 1", "sion", "roboti", "lan gua", "gua ge", "apps", "qu", "ral vi",
]  # fmt: skip


@pytest.mark.parametrize("query", PREFIX_QUERIES)
def test_the_prefix_index_agrees_with_a_scan_of_every_topic(query: str) -> None:
    topics = many_topics(120)
    index = topic_index(topics, min_word=3)
    key, query_words = match_key(query), words_of(query)
    expected = {
        name: start
        for name in topics
        if (start := _reference_prefix_start(name, key, query_words)) is not None
    }
    found = {topic.name: start for topic, start in index.prefix_starts(key, query_words).items()}
    assert found == expected
