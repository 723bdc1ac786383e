"""/filter: list, add (+word, -word, +"a phrase") or clear the keyword filter of the chat (or
forum thread); jobs.keyword_filter documents how terms match."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers.access import argument_text, chat_command, command_message, now
from bot.handlers.replies import quote, reply
from bot.handlers.targets import target_for
from bot.services import services
from jobs import filters
from jobs.keyword_filter import MAX_TERMS

TEXTS = {
    "none": (
        "No keyword filter: every post of the followed topics comes. "
        "/filter <code>+word</code> keeps only posts with it, /filter <code>-word</code> drops "
        'posts with it, /filter <code>+"a phrase"</code> for several words.'
    ),
    "list": "Keyword filter ({count} of at most {limit} terms):",
    "keep": "Keeps only posts mentioning one of: {terms}",
    "drop": "Drops posts mentioning any of: {terms}",
    "cleared": "Filter cleared: every post of the followed topics comes again.",
    "bad": "Nothing changed: {reason}. For example /filter <code>+robots -crypto</code>.",
    "too_many": (
        "Nothing changed: a filter holds at most {limit} terms. /filter clear to start over."
    ),
}


def describe(terms: tuple[str, ...]) -> str:
    if not terms:
        return TEXTS["none"]
    keep = [quote(t[1:]) for t in terms if t.startswith("+")]
    drop = [quote(t[1:]) for t in terms if t.startswith("-")]
    lines = [TEXTS["list"].format(count=len(terms), limit=MAX_TERMS)]
    if keep:
        lines.append(TEXTS["keep"].format(terms=", ".join(keep)))
    if drop:
        lines.append(TEXTS["drop"].format(terms=", ".join(drop)))
    return "\n".join(lines)


@chat_command
async def filter_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = command_message(update)
    text = argument_text(message.text)
    found = await target_for(context, message, text, change=bool(text))
    if found is None:
        return
    target, text = found
    uow = services(context.application).uow
    if not text:
        await reply(message, describe(await filters.terms(uow, target.chat_id, target.thread_id)))
        return
    if text.casefold() == "clear":
        await filters.clear(uow, target.chat_id, now(), target.thread_id)
        await reply(message, TEXTS["cleared"])
        return
    try:
        stored = await filters.add_terms(uow, target.chat_id, text, now(), target.thread_id)
    except filters.FilterSyntaxError as exc:
        await reply(message, TEXTS["bad"].format(reason=quote(str(exc))))
        return
    except filters.TooManyTermsError:
        await reply(message, TEXTS["too_many"].format(limit=MAX_TERMS))
        return
    await reply(message, describe(stored))
