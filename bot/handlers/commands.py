"""The commands the bot answers: one table for the Telegram menu (setMyCommands), /help and the
README, and how a command's argument text is read."""

from __future__ import annotations

import html
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    usage: str  # as /help shows it
    description: str  # the menu's line: 1-256 characters


USER_COMMANDS = (
    Command("start", "/start", "what this bot does and how to follow topics"),
    Command("help", "/help", "every command, one line each"),
    Command("topics", "/topics", "browse the topics; tap one to follow or unfollow it"),
    Command("topic", "/topic <name>", "follow a topic (several: separate with commas)"),
    Command("untopic", "/untopic <name>", "stop following a topic"),
    Command("mytopics", "/mytopics", "the topics this chat follows, with links to share"),
    Command("heat", "/heat [n]", "show this chat's minimum heat, or raise it to n"),
    Command("stop", "/stop", "stop following every topic"),
)
ADMIN_COMMANDS = (
    Command("publish", "/publish <url> [force]", "post a stored article now"),
    Command("preview", "/preview <url>", "show me a post exactly as it would go out"),
    Command("stats", "/stats", "figures: articles, posts, subscribers, deliveries"),
    Command("pause", "/pause", "pause scheduled publishing"),
    Command("resume", "/resume", "resume scheduled publishing"),
)


def help_text(*, admin: bool) -> str:
    """Telegram HTML: every command the sender may use."""
    lines = ["<b>Commands</b>"]
    lines += [_line(c) for c in USER_COMMANDS]
    if admin:
        lines += ["", "<b>Admin commands</b>"]
        lines += [_line(c) for c in ADMIN_COMMANDS]
    lines += [
        "",
        "Topic names are matched loosely: any case, with or without # and spaces "
        "(<code>computer vision</code>, <code>#ComputerVision</code>), by initials "
        "(<code>nlp</code>) or by the start of a name (<code>robot</code>).",
        "In a group only its admins can change what it follows.",
    ]
    return "\n".join(lines)


def _line(command: Command) -> str:
    return f"{html.escape(command.usage)} — {html.escape(command.description)}"


def argument_text(text: str | None) -> str:
    """What follows the command word ("/topic@bot  ai,\\nnlp" -> "ai,\\nnlp"), line breaks kept:
    jobs.topic_matching treats them as separators."""
    if not text:
        return ""
    parts = text.split(maxsplit=1)
    return parts[1].strip() if len(parts) == 2 else ""
