"""What Telegram shows of the bot before anyone presses Start: the description (the empty chat,
setMyDescription, ≤ 512 characters) and the short description (the profile and shared links,
setMyShortDescription, ≤ 120), set at start once per catalogue language and once without one
(in telegram.language). telegram.description / telegram.short_description, when given, are the
operator's own words for everyone: set without a language, and the per-language ones cleared so
that no catalogue text hides them. Like the menus, a refusal is logged, never fatal."""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import TelegramError

from bot.config import TelegramConfig
from bot.formatting import shorten
from bot.i18n import LANGUAGES, Translator, translator

log = logging.getLogger(__name__)

DESCRIPTION_LIMIT = 512
SHORT_DESCRIPTION_LIMIT = 120


def descriptions(t: Translator, channel: str) -> tuple[str, str]:
    """(description, short description) from the catalogue, naming the channel. Pure."""
    # cut (with "…") only for a channel title near Telegram's 128 characters
    return (
        shorten(
            t.gettext(
                "I post the day's hottest AI news to {channel}, and I send you the posts on the "
                "topics you follow, here or in your group. Press Start to choose topics.",
                channel=channel,
            ),
            DESCRIPTION_LIMIT,
        ),
        shorten(
            t.gettext("The day's hottest AI news in {channel}, by topic.", channel=channel),
            SHORT_DESCRIPTION_LIMIT,
        ),
    )


async def set_descriptions(bot: Bot, config: TelegramConfig, channel: str) -> None:
    own = config.description, config.short_description
    wording = {"": descriptions(translator(config.language), channel)}
    for language in LANGUAGES:
        t = translator(language)
        wording[t.telegram_code] = descriptions(t, channel)
    for code, (description, short) in wording.items():
        texts: tuple[str | None, str | None]
        if code:  # the operator's words, when given, are everyone's: no per-language text
            texts = (None if own[0] else description, None if own[1] else short)
        else:
            texts = (own[0] or description, own[1] or short)
        try:
            # None, not "", removes a language's text: with Defaults, PTB 22 turns an empty
            # string into "[]" (ExtBot._insert_defaults takes it for a list of poll options),
            # and Telegram treats an absent text as empty.
            await bot.set_my_description(texts[0], language_code=code or None)
            await bot.set_my_short_description(texts[1], language_code=code or None)
        except TelegramError as exc:
            log.warning(
                "could not set the bot's description (%s): %s", code or "default", exc.message
            )
            return
