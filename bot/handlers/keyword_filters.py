"""/filter: list, add (+word, -word, +"a phrase") or clear the keyword filter of the chat (or
forum thread); jobs.keyword_filter documents how terms match."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers.access import (
    chat_command,
    now,
)
from bot.handlers.replies import escape, quote, reply
from bot.handlers.targets import command_target
from bot.i18n import N_, Translator
from bot.services import services
from jobs import filters
from jobs.keyword_filter import MAX_TERM_CHARS, MAX_TERMS, FilterMistake

TEXTS = {
    "none": N_(
        "No keyword filter: every post of the followed topics comes. "
        "/filter <code>+word</code> keeps only posts with it, /filter <code>-word</code> drops "
        'posts with it, /filter <code>+"a phrase"</code> for several words.'
    ),
    "keep": N_("Keeps only posts mentioning one of: {terms}"),
    "drop": N_("Drops posts mentioning any of: {terms}"),
    "cleared": N_("Filter cleared: every post of the followed topics comes again."),
    "bad": N_("Nothing changed: {reason}. For example /filter <code>+robots -crypto</code>."),
    "too_many": N_(
        "Nothing changed: a filter holds at most {limit} terms. /filter clear to start over."
    ),
}
MISTAKES = {
    FilterMistake.NO_SIGN: N_("each term starts with + or -"),
    FilterMistake.OPEN_QUOTE: N_("a quoted phrase needs its closing quote"),
    FilterMistake.NO_LETTER: N_("a term needs at least one letter or digit"),
    FilterMistake.TOO_LONG: N_("a term has at most {limit} characters"),
}


def describe(t: Translator, terms: tuple[str, ...]) -> str:
    if not terms:
        return t.gettext(TEXTS["none"])
    keep = [quote(term[1:]) for term in terms if term.startswith("+")]
    drop = [quote(term[1:]) for term in terms if term.startswith("-")]
    lines = [
        t.ngettext(
            "Keyword filter ({n} of at most {limit} terms):",
            "Keyword filter ({n} of at most {limit} terms):",
            len(terms),
            limit=MAX_TERMS,
        )
    ]
    if keep:
        lines.append(t.gettext(TEXTS["keep"], terms=", ".join(keep)))
    if drop:
        lines.append(t.gettext(TEXTS["drop"], terms=", ".join(drop)))
    return "\n".join(lines)


@chat_command
async def filter_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    asked = await command_target(update, context)
    if asked is None:
        return
    message, t, target, text = asked.message, asked.t, asked.target, asked.text
    uow = services(context.application).uow
    if not text:
        terms = await filters.terms(uow, target.chat_id, target.thread_id)
        await reply(message, _about(target.name, describe(t, terms)))
        return
    if text.casefold() == "clear":
        await filters.clear(uow, target.chat_id, now(), target.thread_id)
        await reply(message, _about(target.name, t.gettext(TEXTS["cleared"])))
        return
    try:
        stored = await filters.add_terms(uow, target.chat_id, text, now(), target.thread_id)
    except filters.FilterSyntaxError as exc:
        reason = t.gettext(MISTAKES[exc.mistake], limit=MAX_TERM_CHARS)
        await reply(message, t.gettext(TEXTS["bad"], reason=reason))
        return
    except filters.TooManyTermsError:
        await reply(message, t.gettext(TEXTS["too_many"], limit=MAX_TERMS))
        return
    await reply(message, _about(target.name, describe(t, stored)))


def _about(managed: str | None, text: str) -> str:
    """`text` under the @name of the chat it is about, when that is not the chat it is said in
    (a channel managed from a private chat)."""
    return f"<b>{escape(managed)}</b>\n{text}" if managed else text
