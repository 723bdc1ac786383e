"""The catalogues (bot/locales): complete for every message the code marks, with the same
placeholders and HTML tags as the English text, the committed .mo files matching their .po
sources, plurals from the catalogue; and Telegram's language codes mapped to a catalogue."""

from __future__ import annotations

import gettext
import io
import re
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.i18n import DOMAIN, LANGUAGES, LOCALES_DIR, resolve_language, translator

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"gettext": None, "ngettext": (1, 2), "N_": None}
_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)")
# Telegram's HTML tags; anything else in angle brackets ("<name>" in a usage line) is text
TELEGRAM_TAGS = frozenset(
    {"a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler"}
    | {"code", "pre", "blockquote", "tg-emoji"}
)

MessageId = str | tuple[str, str]


def _key(message_id: str | tuple[str, ...] | list[str]) -> MessageId:
    if isinstance(message_id, str):
        return message_id
    singular, plural = message_id[0], message_id[1]
    return (singular, plural)


def marked_messages() -> set[MessageId]:
    """Every message the bot's code marks for translation (what `pybabel extract` finds)."""
    return {
        _key(message)
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT, [("bot/**.py", "python")], keywords=KEYWORDS
        )
    }


def catalogue(language: str) -> Catalog:
    with (LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as file:
        return read_po(file, locale=language)


def entries(language: str) -> dict[MessageId, Message]:
    return {_key(m.id): m for m in catalogue(language) if m.id}


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def tags(text: str) -> list[str]:
    found = (tag.casefold() for tag in _TAG.findall(text))
    return sorted(tag for tag in found if tag in TELEGRAM_TAGS)


def forms(message: Message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_catalogue_holds_exactly_the_marked_messages(language: str) -> None:
    marked, held = marked_messages(), set(entries(language))
    assert marked - held == set(), f"{language}: not in the catalogue (extract and update)"
    assert held - marked == set(), f"{language}: no longer in the code (drop them)"


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_translations_are_complete_with_the_same_placeholders_and_tags(language: str) -> None:
    problems = []
    for key, message in entries(language).items():
        source = key if isinstance(key, str) else key[1]  # the plural names every value
        if message.fuzzy:
            problems.append(f"fuzzy: {key!r}")
        for form in forms(message):
            if not form.strip():
                problems.append(f"untranslated: {key!r}")
            elif placeholders(form) != placeholders(source):
                problems.append(f"placeholders {placeholders(form)} in {form!r} for {key!r}")
            elif tags(form) != tags(key if isinstance(key, str) else key[0]):
                problems.append(f"HTML tags {tags(form)} in {form!r} for {key!r}")
    assert problems == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_mo_matches_its_po(language: str) -> None:
    compiled = io.BytesIO()
    write_mo(compiled, catalogue(language))
    compiled.seek(0)
    expected = gettext.GNUTranslations(compiled)
    with (LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as file:
        committed = gettext.GNUTranslations(file)
    assert committed._catalog == expected._catalog, (  # type: ignore[attr-defined]
        f"{language}: the .mo is stale; run pybabel compile (README, Languages)"
    )
    assert [committed.plural(n) for n in range(200)] == [  # type: ignore[attr-defined]
        expected.plural(n)  # type: ignore[attr-defined]
        for n in range(200)
    ]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ru", {1: 0, 2: 1, 4: 1, 5: 2, 11: 2, 12: 2, 14: 2, 21: 0, 22: 1, 25: 2, 101: 0, 111: 2}),
        ("zh_Hans", {0: 0, 1: 0, 2: 0, 5: 0}),
        ("en", {0: 1, 1: 0, 2: 1, 21: 1}),
    ],
)
def test_plural_forms_come_from_the_catalogue(language: str, expected: dict[int, int]) -> None:
    with (LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as file:
        plural = gettext.GNUTranslations(file).plural  # type: ignore[attr-defined]
    assert {n: plural(n) for n in expected} == expected


# The catalogue for each language_code Telegram may send (the user's app language)
CODES_BY_CATALOGUE: dict[str, tuple[str | None, ...]] = {
    "ru": ("ru", "ru-RU", "RU"),
    # Traditional readers (zh-hant, zh-TW) read Simplified better than English
    "zh_Hans": ("zh-hans", "zh-Hans", "zh_Hans", "zh-cn", "zh-CN", "zh", "zh-hant", "zh-TW"),
    "en": ("en", "en-GB", "de", "uk", "", None),
}


@pytest.mark.parametrize(
    ("code", "language"),
    [(code, language) for language, codes in CODES_BY_CATALOGUE.items() for code in codes],
)
def test_telegram_language_codes_map_to_a_catalogue(code: str | None, language: str) -> None:
    assert resolve_language(code) == language


def test_a_translator_fills_named_values_and_plural_forms() -> None:
    assert translator("ru").gettext("Read") == "Читать"
    assert translator("zh-CN").gettext("Watch") == "观看"
    assert translator("en").gettext("Read") == "Read"
    assert translator("de") is translator("en")  # one per language, cached
