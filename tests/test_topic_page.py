"""The /topics page (pure) and the command table behind the menu and /help."""

from __future__ import annotations

import pytest

from bot.handlers import CALLBACKS
from bot.handlers.commands import ADMIN_COMMANDS, USER_COMMANDS, argument_text, help_text
from bot.handlers.topic_menu import PAGE_SIZE, topic_page
from bot.i18n import translator
from storage.records import TopicSummary

TOPICS = [TopicSummary(id_, f"Topic {id_}", 20 - id_) for id_ in range(1, 20)]

EN = translator("en")


def test_first_page_marks_followed_and_offers_next() -> None:
    page = topic_page(EN, TOPICS, {2}, 0)
    labels = [row[0][0] for row in page.buttons[:-1]]
    assert len(labels) == PAGE_SIZE
    assert labels[0] == "Topic 1 · 19" and labels[1] == "✅ Topic 2 · 18"
    assert page.buttons[-1] == [("Next »", "p:1")]
    assert page.buttons[0][0][1] == "t:1:0"
    assert "Page 1 of 3" in page.html and "(1)" in page.html


def test_middle_and_last_pages() -> None:
    middle = topic_page(EN, TOPICS, set(), 1)
    assert middle.buttons[-1] == [("« Previous", "p:0"), ("Next »", "p:2")]
    last = topic_page(EN, TOPICS, set(), 2)
    assert last.buttons[-1] == [("« Previous", "p:1")]
    assert len(last.buttons) - 1 == len(TOPICS) - 2 * PAGE_SIZE
    assert last.buttons[0][0][1] == f"t:{TOPICS[2 * PAGE_SIZE].id}:2"


def test_page_number_is_clamped_and_single_page_has_no_turns() -> None:
    assert topic_page(EN, TOPICS, set(), 99).page == 2
    short = topic_page(EN, TOPICS[:3], set(), 0)
    assert len(short.buttons) == 3 and "Page" not in short.html


def test_no_topics_yet() -> None:
    page = topic_page(EN, [], set(), 0)
    assert page.buttons == [] and "No topics yet" in page.html


def test_callback_data_fits_telegram_limit_and_labels_are_short() -> None:
    huge = [TopicSummary(2**31 - 1, "x" * 200, 10**6)]
    page = topic_page(EN, huge, {2**31 - 1}, 0)
    label, data = page.buttons[0][0]
    assert len(data.encode()) <= 64
    assert len(label) < 60


def test_every_command_has_a_handler_and_a_menu_line() -> None:
    names = [c.name for c in (*USER_COMMANDS, *ADMIN_COMMANDS)]
    assert sorted(names) == sorted(CALLBACKS)
    assert all(1 <= len(c.description) <= 256 for c in (*USER_COMMANDS, *ADMIN_COMMANDS))


def test_help_lists_admin_commands_only_for_admins() -> None:
    assert "/publish" not in help_text(EN, admin=False)
    assert all(f"/{c.name}" in help_text(EN, admin=False) for c in USER_COMMANDS)
    assert all(f"/{c.name}" in help_text(EN, admin=True) for c in ADMIN_COMMANDS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/topic", ""),
        ("/topic ai", "ai"),
        ("/topic@feedbot_test_bot  computer vision ", "computer vision"),
        ("/topic ai,\nnlp", "ai,\nnlp"),
        (None, ""),
    ],
)
def test_argument_text(text: str | None, expected: str) -> None:
    assert argument_text(text) == expected
