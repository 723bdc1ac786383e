"""What the bot says to a message no command took, so that a mistyped command is not met with
silence (which reads as a bot that is down).

Rule: in a private chat, a command the bot does not have is answered with the nearest
command the sender may use, when one is near ("/topci" -> /topic), and /help. Plain text that
names one topic (as /topic would match it: "robotics") is answered with the command that
follows or unfollows it; other plain text with where to start, once a minute at most. In a
group the bot answers only a command addressed to it by name ("/foo@thisbot"): a bare "/foo"
there may be another bot's, and its members' talk is none of the bot's business. Nothing else
is stored but a known private chat's app language (for what the bot sends there unasked): an
unknown command is not a command, so it neither remembers the chat nor brings a stopped one
back."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from rapidfuzz import fuzz, process
from telegram import Message, MessageEntity, Update
from telegram.ext import ContextTypes

from bot.handlers.access import note_app_language, sender_is_bot_admin, translator_for
from bot.handlers.commands import commands_for
from bot.handlers.replies import quote, reply
from bot.i18n import N_
from bot.services import services
from jobs.subscriptions import catalogue
from jobs.topic_matching import Match, resolve_topic
from storage.records import TopicSummary, topic_key

# Longer than any topic name a user would type: a sentence is talk, not a topic.
TOPIC_TEXT_LIMIT = 64
# Shorter plain text names a topic only exactly or by its initials: as the start of a name it
# is more likely a word.
SHORT_TEXT = 4

# fuzz.ratio of "topci" and "topic" is 80, of "foo" and "stop" 29: a near miss, not a guess.
NEAR = 70

TEXTS = {
    "unknown": N_("I don't know the command {command}. /help lists every command."),
    "near": N_(
        "I don't know the command {command}. Did you mean {near}? /help lists every command."
    ),
    "text": N_("I answer commands: /topics to choose topics, /help for every command."),
    "follow": N_("{name} is a topic: /topic {name} follows it, /topics lists them all."),
    "followed": N_("This chat follows {name}: /untopic {name} stops it."),
}


def nearest_command(name: str, names: Iterable[str]) -> str | None:
    """The command `name` was most likely meant to be, if one is near enough."""
    found = process.extractOne(name.lower(), list(names), scorer=fuzz.ratio, score_cutoff=NEAR)
    return found[0] if found else None


def addressed_command(message: Message, bot_username: str) -> str | None:
    """The command word of a message the bot should answer ("foo" of "/foo@thisbot bar"), or
    None: not a command, or one for another bot, or a bare one in a group."""
    entity = next(iter(message.entities), None)
    if entity is None or entity.type != MessageEntity.BOT_COMMAND or entity.offset != 0:
        return None
    word, _, addressee = message.parse_entity(entity)[1:].partition("@")
    if addressee:
        return word if addressee.lower() == bot_username.lower() else None
    return word if message.chat.type == "private" else None


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None:
        return
    word = addressed_command(message, context.bot.username)
    if word is None:
        return
    await note_app_language(update, context)
    t = await translator_for(update, context)
    admin = sender_is_bot_admin(update, context) and message.chat.type == "private"
    near = nearest_command(word, (c.name for c in commands_for(admin=admin)))
    command = quote("/" + word)
    if near is None:
        await reply(message, t.gettext(TEXTS["unknown"], command=command))
    else:
        await reply(message, t.gettext(TEXTS["near"], command=command, near="/" + near))


def named_topic(
    text: str, topics: Sequence[TopicSummary], followed: Collection[int]
) -> tuple[str, str] | None:
    """("follow" or "followed", the topic's name) when `text` names exactly one topic."""
    if len(text) > TOPIC_TEXT_LIMIT or "\n" in text:
        return None
    found = resolve_topic(text, [topic.name for topic in topics])
    if not isinstance(found, Match):
        return None
    initials = "".join(word[0] for word in found.topic.split()).casefold()
    exact = topic_key(text) == topic_key(found.topic) or text.casefold() == initials
    if len(text) < SHORT_TEXT and not exact:
        return None  # "go" is a word, not the start of Google AI; "ai" and "nlp" name topics
    ids = [topic.id for topic in topics if topic.name == found.topic]
    return ("followed" if set(ids) & set(followed) else "follow", found.topic)


async def on_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or message.text is None:
        return
    svc = services(context.application)
    await note_app_language(update, context)
    topics, followed = await catalogue(svc.uow, message.chat_id)
    named = named_topic(message.text.strip(), topics, followed)
    if named is None and message.chat_id in svc.nudged:
        return
    t = await translator_for(update, context)
    if named is None:
        svc.nudged[message.chat_id] = True
        await reply(message, t.gettext(TEXTS["text"]))
    else:
        key, name = named
        await reply(message, t.gettext(TEXTS[key], name=quote(name)))
