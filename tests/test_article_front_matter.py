"""Article files' front matter: its framing, malformed and hostile YAML, and constructing
only the fields that are read."""

from __future__ import annotations

import random
from collections import Counter

import pytest
import yaml

from jobs.ingest import front_matter
from jobs.ingest.fields import UnusableArticleError
from jobs.ingest.files import parse_article
from jobs.ingest.front_matter import MAX_FILE_BYTES
from tests.article_parsing import BASE, FIXTURES, article, failure

# --- front matter framing ------------------------------------------------------------------------


def test_bom_crlf_and_trailing_content() -> None:
    text = f"\ufeff---\r\n{BASE}heat: 120\r\n---  \r\n\r\nBody text --- ignored.\r\n---\r\n"
    parsed = parse_article(text.replace("\n", "\r\n").replace("\r\r", "\r").encode())
    assert (parsed.title, parsed.url, parsed.heat) == (
        "Robots learn to fold laundry",
        "https://example.com/news/laundry",
        120,
    )


def test_blank_lines_before_opening_are_tolerated() -> None:
    assert parse_article(f"\n  \n---\n{BASE}---".encode()).title == "Robots learn to fold laundry"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "no front matter"),
        (b"\xef\xbb\xbf", "no front matter"),
        (b"title: x\n---\n", "no front matter"),
        (b"--- title: x\n---\n", "no front matter"),
        (b"# heading\n---\ntitle: x\n---\n", "no front matter"),
        (b"---\n", "unclosed front matter (no closing ---)"),
        (
            b"---\ntitle: x\nwebUrl: https://example.com/a\n",
            "unclosed front matter (no closing ---)",
        ),
        (b"---\ntitle: x\n----\n", "unclosed front matter (no closing ---)"),
        (b"---\n---\n", "empty front matter"),
        (b"---\n# only a comment\n---\n", "empty front matter"),
        (b"---\n- a\n- b\n---\n", "front matter is not a mapping"),
        (b"---\njust a string\n---\n", "front matter is not a mapping"),
        (b"---\ntitle: caf\xe9\n---\n", "not UTF-8 text"),
        (b"\xff\xfe-\x00-\x00-\x00", "not UTF-8 text"),  # UTF-16
        (bytes(range(256)) * 4, "not UTF-8 text"),
    ],
)
def test_framing_errors(data: bytes, reason: str) -> None:
    assert failure(data) == reason


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ('title: "never closed\nwebUrl: https://example.com/a\n', 3),
        ("title: x\n  bad: indentation\n", 3),
        ("title: [unclosed\n", None),  # libyaml and pure Python place the end differently
        ("title: x\nwebUrl:\t\x07\n", 3),
        ("title: é\nwebUrl:\t\x07\n", 3),
        ("title: *undefined_alias\n", 2),
        ("title: !!python/object/apply:os.system ['true']\n", 2),
        ("? [a, b]\n: unhashable key\n", None),
        ("heat: !!float [1]\n", 2),
        ("heat: !!int abc\n", None),
        ("published: !!bool maybe\n", None),
        ("<<: 5\n", 2),
    ],
)
def test_broken_yaml(body: str, line: int | None) -> None:
    reason = failure(f"---\n{body}---\n".encode())
    prefix = f"broken YAML at line {line}: " if line else "broken YAML"
    assert reason.startswith(prefix), reason
    assert len(reason) <= 200


def test_too_large() -> None:
    assert failure(b"-" * (MAX_FILE_BYTES + 1)) == "file too large (16.0 MB > 16 MB)"


# --- hostile YAML --------------------------------------------------------------------------------


def test_alias_bomb_is_cheap_and_harmless() -> None:
    levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    levels += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 12)]
    bomb = "\n".join(levels) + "\ntopics: *a11\nexcerpt: *a11\nimages: *a11\nheat: *a11\n"
    parsed = article(bomb)
    assert (parsed.topics, parsed.excerpt, parsed.image_url, parsed.heat) == ((), "", None, None)
    assert failure(f"---\n{bomb}title: *a11\nwebUrl: x\n---\n".encode()) == "no title"


def test_recursive_alias() -> None:
    assert article("topics: &t [AI, *t]\nimages: &i [*i]").topics == ("AI",)


@pytest.mark.parametrize("depth", [100, 10_000, 200_000])
def test_deep_nesting(depth: int) -> None:
    flow = "related: " + "[" * depth + "]" * depth + "\n"
    block = "related:\n" + "".join(" " * n + "- \n" for n in range(1, min(depth, 5000)))
    for body in (flow, block):
        try:
            article(body)
        except UnusableArticleError as error:
            assert error.reason.startswith("broken YAML")


def test_overlong_integer_is_broken_yaml() -> None:
    assert failure(f"---\n{BASE}heat: {'9' * 5000}\n---\n".encode()).startswith("broken YAML")


def test_random_mutations_raise_only_article_file_error() -> None:
    original = (FIXTURES / "valid_modern.md").read_bytes()
    rng = random.Random(20260101)
    outcomes: Counter[str] = Counter()
    for _ in range(400):
        data = bytearray(original)
        for _ in range(rng.randint(1, 8)):
            position = rng.randrange(len(data))
            action = rng.random()
            if action < 0.4:
                data[position] = rng.randrange(256)
            elif action < 0.7:
                data[position:position] = rng.choice([b"---\n", b": ", b"- ", b"&x ", b"*x", b'"'])
            else:
                del data[position : position + rng.randint(1, 40)]
        try:
            parse_article(bytes(data))
            outcomes["parsed"] += 1
        except UnusableArticleError:
            outcomes["rejected"] += 1
    for _ in range(100):
        try:
            parse_article(rng.randbytes(rng.randint(0, 300)))
        except UnusableArticleError:
            outcomes["junk rejected"] += 1
    assert outcomes["parsed"] and outcomes["rejected"], outcomes


# --- only the fields read are constructed --------------------------------------------------------


@pytest.mark.parametrize(
    "junk",
    [
        "related: !!bool maybe\n",
        "secured: !!python/object/apply:os.system ['true']\n",
        "quality: !!int abc\n",
        "related: [" * 50 + "]" * 50 + "\n",
    ],
)
def test_junk_in_a_field_never_read_does_not_drop_the_article(junk: str) -> None:
    # Such values are parsed (the YAML must still be well formed) but never constructed.
    assert article(junk) == article()


def test_duplicate_field_last_one_wins_as_in_yaml_load() -> None:
    assert article('title: "Second"\nheat: 1\nheat: 2\n').title == "Second"
    assert article("heat: 1\nheat: 2\n").heat == 2


@pytest.mark.parametrize(
    "body",
    [
        "<<: {heat: 7}\n",  # a merge key: constructed whole, so the merge still applies
        "42: numeric key\nheat: 7\n",
        "!!str heat: 7\n",
    ],
)
def test_unusual_top_level_keys_fall_back_to_full_construction(body: str) -> None:
    assert article(body).heat == 7


def test_closing_line_may_carry_trailing_blanks_and_opening_must_be_bare() -> None:
    assert parse_article(f"---\t\n{BASE}---\t \n".encode()).heat is None
    assert failure(f"  ---\n{BASE}---\n".encode()) == "no front matter"
    assert failure(f"---\n{BASE}  ---\n".encode()) == "unclosed front matter (no closing ---)"


def test_remembered_scalar_tags_match_pyyaml_every_time() -> None:
    # The loader remembers the tag of short plain scalars across files: the second file must
    # load exactly as PyYAML alone would, including values that are not strings.
    text = "topics: [yes, 120, 1.5, null, ~, 2021-02-03, x, 0x1F, .inf, 1_000, '120']\nheat: 0o17\n"
    expected = yaml.load(text, Loader=yaml.SafeLoader)
    for _ in range(2):
        assert front_matter._construct_fields(text) == expected


def test_every_usable_preview_image_is_kept_in_order() -> None:
    parsed = article(
        "images:\n  - {url: 'https://cdn.example.com/default-social.png'}\n"
        "  - {url: 'https://cdn.example.com/tiny.png', width: 16, height: 16}\n"
        "  - {url: 'https://cdn.example.com/own.jpg'}\n"
        "  - {url: 'https://cdn.example.com/default-social.png'}"
    )
    assert parsed.images == (
        "https://cdn.example.com/default-social.png",
        "https://cdn.example.com/own.jpg",
    )
    assert parsed.image_url == parsed.images[0]
