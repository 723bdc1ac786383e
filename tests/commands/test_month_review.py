"""Defects met in a month of use (review4): a subscriber whose app language changes, a forum
supergroup's members and admins, and a bot admin, against the real Application and the fake
Bot API. Each test fails on main (strict xfail) until its defect is fixed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.commands.rig import USER, write
from tests.live_bot import LiveBot


def unfollow_button(bot: LiveBot, chat_id: int) -> str:
    """The unfollow button's words under the chat's last post."""
    markup = bot.posts(chat_id)[-1].params["reply_markup"]
    return str(markup["inline_keyboard"][0][1]["text"])


@pytest.mark.xfail(
    strict=True, reason="an app language without a catalogue keeps the previous app's language"
)
async def test_switching_to_an_app_language_without_a_catalogue_drops_the_old_one(
    bot: LiveBot, tmp_path: Path
) -> None:
    """A user follows AI from a Russian app, then switches their app to German: /help now
    answers in English (telegram.language, as German has no catalogue), but the next post's
    button still says "🔕 Отписаться: AI": what the bot sends unasked stays in a language the
    user's app no longer shows, beside replies in another. It should be "🔕 Unfollow AI"."""
    await bot.ask(USER, USER, "/topic ai", language_code="ru")
    assert "Commands" in await bot.ask(USER, USER, "/help", language_code="de")
    write(tmp_path, "a.md", topics=("AI",), heat=150)
    await bot.run_publishing()
    await bot.fake.wait_for_async(lambda f: len(bot.posts(USER)) == 1, what="the post")
    assert unfollow_button(bot, USER) == "🔕 Unfollow AI"
