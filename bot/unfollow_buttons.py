"""The buttons under a post in a private chat: "Read", and "🔕 Unfollow <topic>" for the topic
that brought it (with several, "🔕 Topics…", which opens the chat's topic list). One tap
unfollows and turns the button into "↩️ Follow <topic> again"; a tap on that follows again.
Pure: rows of buttons in and out, no python-telegram-bot; the words from a bot.i18n.Translator.

Callback data carries the topic id, never its name, so it stays far below Telegram's 64 bytes:
"uf:<id>" unfollows, "ur:<id>" follows again, "ul" opens the list."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.i18n import Translator

LABEL_CHARS = 32  # of the topic name in a button: a phone shows two buttons side by side

PATTERN = r"^(uf:\d+|ur:\d+|ul)$"
_DATA = re.compile(r"^(uf|ur):(\d+)$")


@dataclass(frozen=True, slots=True)
class Button:
    text: str
    url: str | None = None
    callback_data: str | None = None


def _short(name: str) -> str:
    return name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…"


def _unfollow(t: Translator, topic_id: int, name: str) -> Button:
    return Button(
        t.gettext("🔕 Unfollow {topic}", topic=_short(name)), callback_data=f"uf:{topic_id}"
    )


def post_buttons(
    read_text: str, link: str, unfollow: Sequence[tuple[int, str]], t: Translator
) -> list[Button]:
    """The one row under a post: Read, then the unfollow button when a topic brought it."""
    row = [Button(read_text, url=link)]
    if len(unfollow) == 1:
        row.append(_unfollow(t, *unfollow[0]))
    elif unfollow:
        row.append(Button(t.gettext("🔕 Topics…"), callback_data="ul"))
    return row


def parse(data: str) -> tuple[str, int] | None:
    """("uf" | "ur", topic id) for an unfollow or undo button, None for anything else."""
    found = _DATA.match(data)
    return None if found is None else (found[1], int(found[2]))


def toggled(
    row: Sequence[Button], action: str, topic_id: int, name: str, t: Translator
) -> list[Button]:
    """The row after a tap: the pressed button becomes the opposite one, the rest stay."""
    pressed = f"{action}:{topic_id}"
    if action == "uf":
        swapped = Button(
            t.gettext("↩️ Follow {topic} again", topic=_short(name)), callback_data=f"ur:{topic_id}"
        )
    else:
        swapped = _unfollow(t, topic_id, name)
    return [swapped if b.callback_data == pressed else b for b in row]
