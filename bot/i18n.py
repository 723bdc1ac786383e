"""The bot's languages: gettext message catalogues (bot/locales/<language>/LC_MESSAGES/feedbot.po,
compiled to .mo beside them) behind one small Translator per language.

- Messages are English source text (the msgid); a message with values names them: `{count}`,
  `{name}`, filled with str.format. A caller passes values already escaped for Telegram HTML.
- Plurals come from the catalogue's Plural-Forms (Russian has three forms, Chinese one), never
  from `if n == 1`: `t.ngettext("{n} article", "{n} articles", n)` (`n` is always a value).
- A message defined before a language is known (the command table) is marked with `N_` and
  translated where it is shown.

Telegram's `language_code` is an IETF tag (`ru`, `ru-RU`, `zh-hans`, `zh-CN`, …);
`resolve_language` maps it to a catalogue: any Russian tag to `ru`, any Chinese tag to
`zh_Hans` (Simplified; a Traditional tag such as `zh-hant` or `zh-TW` too, as readers of
Traditional read Simplified far better than English), anything else to the default.

The .mo files are committed (setuptools has no build hook for them); tests/test_i18n.py fails
when one does not match its .po, or when a catalogue lacks a message or a placeholder."""

from __future__ import annotations

import functools
import gettext
from pathlib import Path
from typing import Any

DOMAIN = "feedbot"
LOCALES_DIR = Path(__file__).parent / "locales"
DEFAULT_LANGUAGE = "en"
LANGUAGES = ("en", "ru", "zh_Hans")
# What /language shows for each: a language's own name, never a translation of it.
LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "zh_Hans": "简体中文"}
# Telegram's setMyCommands / setMyDescription take a two-letter ISO 639-1 code.
TELEGRAM_CODES = {"en": "en", "ru": "ru", "zh_Hans": "zh"}
_BY_PRIMARY = {"en": "en", "ru": "ru", "zh": "zh_Hans"}


def N_(message: str) -> str:  # gettext's name for a deferred message
    """Mark a message for the catalogues without translating it yet."""
    return message


def resolve_language(code: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """One of LANGUAGES for a Telegram language_code (or a config value): `ru-RU` -> `ru`,
    `zh-hans`, `zh-CN`, `zh` -> `zh_Hans`; unknown or missing -> `default`."""
    if not code:
        return default
    tag = code.strip().replace("_", "-").casefold()
    for language in LANGUAGES:
        if tag == language.replace("_", "-").casefold():
            return language
    return _BY_PRIMARY.get(tag.split("-", 1)[0], default)


def chat_language(
    chosen: str | None, chat_type: str, user_code: str | None, configured: str
) -> str:
    """The language a chat is answered in: what /language chose there; else, in a private
    chat, its user's own (Telegram's language_code; one without a catalogue gets `configured`);
    else `configured` (telegram.language). Pure."""
    if chosen in LANGUAGES:
        return chosen
    if chat_type == "private":
        return resolve_language(user_code, default=configured)
    return configured


class Translator:
    """The messages of one language."""

    def __init__(self, language: str, catalogue: gettext.NullTranslations) -> None:
        self.language = language
        self._catalogue = catalogue

    @property
    def telegram_code(self) -> str:
        return TELEGRAM_CODES[self.language]

    def gettext(self, message: str, /, **values: Any) -> str:
        return self._catalogue.gettext(message).format(**values)

    def ngettext(self, singular: str, plural: str, n: int, /, **values: Any) -> str:
        return self._catalogue.ngettext(singular, plural, n).format(n=n, **values)


def translator(language: str | None, default: str | None = None) -> Translator:
    """The Translator of a language in LANGUAGES (anything else, a Telegram language_code say,
    resolved first: to `default`'s when it has no catalogue), loaded once."""
    return _load(resolve_language(language, resolve_language(default)))


@functools.cache
def _load(language: str) -> Translator:
    path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
    catalogue: gettext.NullTranslations
    try:
        with path.open("rb") as file:
            catalogue = gettext.GNUTranslations(file)
    except FileNotFoundError:
        if language != DEFAULT_LANGUAGE:
            raise  # an installation without its catalogues: say so at once, not in English
        catalogue = gettext.NullTranslations()  # English is the msgid itself
    return Translator(language, catalogue)
