"""The fake Bot API's edits are as strict as Telegram's (tests/fake_telegram/edits.py and the
edit methods): what the channel-post edits of stories rely on."""

from __future__ import annotations

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter

from tests.fake_telegram.server import FakeTelegram

CHANNEL = -100200
USER = 42
OLD_PHOTO = "https://img.example.com/a.jpg"
NEW_PHOTO = "https://img.example.com/new.jpg"


def _bot(fake: FakeTelegram) -> telegram.Bot:
    return telegram.Bot(fake.token, base_url=fake.base_url)


async def test_a_channel_edit_counts_as_a_message(fake_telegram: FakeTelegram) -> None:
    fake_telegram.add_chat(CHANNEL, "channel")
    async with _bot(fake_telegram) as bot:
        first = await bot.send_message(CHANNEL, "post 0")
        for n in range(1, 19):
            await bot.send_message(CHANNEL, f"post {n}")
        await bot.edit_message_text("post 0, edited", chat_id=CHANNEL, message_id=first.message_id)
        with pytest.raises(RetryAfter):  # the 21st message of the minute is an edit
            await bot.edit_message_text(
                "post 0, edited again", chat_id=CHANNEL, message_id=first.message_id
            )


async def test_an_edit_in_a_chat_that_removed_the_bot_is_refused(
    fake_telegram: FakeTelegram,
) -> None:
    fake_telegram.add_chat(CHANNEL, "channel")
    async with _bot(fake_telegram) as bot:
        sent = await bot.send_message(CHANNEL, "post")
        fake_telegram.block_chat(CHANNEL, "Forbidden: bot is not a member of the channel chat")
        with pytest.raises(Forbidden):
            await bot.edit_message_text("edited", chat_id=CHANNEL, message_id=sent.message_id)


@pytest.mark.parametrize(
    ("photo", "method", "expected"),
    [
        (False, "caption", "there is no caption in the message to edit"),
        (True, "text", "there is no text in the message to edit"),
        (False, "same text", "message is not modified"),
        (False, "missing", "message to edit not found"),
        (False, "long caption", "message caption is too long"),
    ],
)
async def test_edits_refused_as_telegram_refuses_them(
    fake_telegram: FakeTelegram, photo: bool, method: str, expected: str
) -> None:
    fake_telegram.add_chat(CHANNEL, "channel")
    async with _bot(fake_telegram) as bot:
        if photo:
            sent = await bot.send_photo(CHANNEL, "https://img.example.com/a.jpg", caption="c")
        else:
            sent = await bot.send_message(CHANNEL, "<b>post</b>", parse_mode=ParseMode.HTML)
        mid = sent.message_id
        with pytest.raises(BadRequest, match=rf"(?i){expected}"):
            match method:
                case "caption":
                    await bot.edit_message_caption(CHANNEL, mid, caption="new")
                case "text":
                    await bot.edit_message_text("new", CHANNEL, mid)
                case "same text":
                    await bot.edit_message_text("<b>post</b>", CHANNEL, mid, parse_mode="HTML")
                case "missing":
                    await bot.edit_message_text("new", CHANNEL, mid + 100)
                case "long caption":
                    sent = await bot.send_photo(CHANNEL, "https://img.example.com/b.jpg")
                    await bot.edit_message_caption(CHANNEL, sent.message_id, caption="x" * 1025)


async def test_only_the_bots_own_messages_can_be_edited(fake_telegram: FakeTelegram) -> None:
    fake_telegram.add_chat(USER)
    fake_telegram.push_update(
        {
            "update_id": 1,
            "message": {
                "message_id": 7,
                "date": 0,
                "chat": {"id": USER, "type": "private", "first_name": "U"},
                "from": {"id": USER, "is_bot": False, "first_name": "U"},
                "text": "hello",
            },
        }
    )
    async with _bot(fake_telegram) as bot:
        with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
            await bot.edit_message_text("mine now", USER, 7)


async def test_a_media_edit_replaces_the_photo_and_the_caption(fake_telegram: FakeTelegram) -> None:
    fake_telegram.add_chat(CHANNEL, "channel")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Read", url="https://a.example/")]])
    async with _bot(fake_telegram) as bot:
        sent = await bot.send_photo(CHANNEL, OLD_PHOTO, caption="old", reply_markup=keyboard)
        new = InputMediaPhoto(NEW_PHOTO, caption="<b>new</b>", parse_mode=ParseMode.HTML)
        edited = await bot.edit_message_media(new, CHANNEL, sent.message_id, reply_markup=keyboard)
        assert isinstance(edited, telegram.Message) and edited.caption == "new"
        assert edited.photo[-1].file_unique_id != sent.photo[-1].file_unique_id
        (message,) = fake_telegram.messages(CHANNEL)
        assert (message.photo_source, message.text) == (NEW_PHOTO, "new")
        assert message.entities[0].type == "bold" and message.reply_markup is not None
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await bot.edit_message_media(new, CHANNEL, sent.message_id, reply_markup=keyboard)
        # the same photo with another caption is an edit
        same_photo = InputMediaPhoto(NEW_PHOTO, caption="newer")
        await bot.edit_message_media(same_photo, CHANNEL, sent.message_id, reply_markup=keyboard)
        assert fake_telegram.messages(CHANNEL)[0].text == "newer"


async def test_a_media_edit_can_give_a_text_message_a_photo(fake_telegram: FakeTelegram) -> None:
    # Bot API: editMessageMedia edits media messages "or adds media to text messages"
    fake_telegram.add_chat(CHANNEL, "channel")
    async with _bot(fake_telegram) as bot:
        sent = await bot.send_message(CHANNEL, "text")
        await bot.edit_message_media(
            InputMediaPhoto(NEW_PHOTO, caption="c"), CHANNEL, sent.message_id
        )
        (message,) = fake_telegram.messages(CHANNEL)
        assert (message.kind, message.photo_source, message.text) == ("photo", NEW_PHOTO, "c")


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("refused url", "wrong file identifier/HTTP URL specified"),
        ("not a url", "wrong file identifier/HTTP URL specified"),
        ("long caption", "message caption is too long"),
        ("bad html", "can't parse entities"),
        ("missing", "message to edit not found"),
        ("not the bot's", "message can't be edited"),
    ],
)
async def test_media_edits_refused_as_telegram_refuses_them(
    fake_telegram: FakeTelegram, case: str, expected: str
) -> None:
    fake_telegram.add_chat(CHANNEL, "channel")
    fake_telegram.break_photo_url(NEW_PHOTO)
    async with _bot(fake_telegram) as bot:
        sent = await bot.send_photo(CHANNEL, OLD_PHOTO, caption="old")
        mid, photo = sent.message_id, InputMediaPhoto(OLD_PHOTO, caption="new")
        match case:
            case "refused url":
                photo = InputMediaPhoto(NEW_PHOTO, caption="new")
            case "not a url":
                photo = InputMediaPhoto("ftp://img.example.com/c.jpg", caption="new")
            case "long caption":
                photo = InputMediaPhoto(OLD_PHOTO, caption="x" * 1025)
            case "bad html":
                photo = InputMediaPhoto(OLD_PHOTO, caption="<b>new", parse_mode=ParseMode.HTML)
            case "missing":
                mid += 100
            case "not the bot's":
                mid = _a_users_message(fake_telegram)
        with pytest.raises(BadRequest, match=rf"(?i){expected}"):
            chat = USER if case == "not the bot's" else CHANNEL
            await bot.edit_message_media(photo, chat, mid)
        # a refused edit leaves the post as it was
        post = fake_telegram.messages(CHANNEL)[0]
        assert (post.photo_source, post.text) == (OLD_PHOTO, "old")


async def test_a_channel_media_edit_counts_as_a_message(fake_telegram: FakeTelegram) -> None:
    fake_telegram.add_chat(CHANNEL, "channel")
    async with _bot(fake_telegram) as bot:
        first = await bot.send_photo(CHANNEL, OLD_PHOTO)
        for n in range(1, 20):
            await bot.send_message(CHANNEL, f"post {n}")
        with pytest.raises(RetryAfter):  # the 21st message of the minute is an edit
            await bot.edit_message_media(InputMediaPhoto(NEW_PHOTO), CHANNEL, first.message_id)


def _a_users_message(fake: FakeTelegram) -> int:
    fake.add_chat(USER)
    fake.push_update(
        {
            "message": {
                "message_id": 7,
                "date": 0,
                "chat": {"id": USER, "type": "private", "first_name": "U"},
                "from": {"id": USER, "is_bot": False, "first_name": "U"},
                "text": "hello",
            },
        }
    )
    return 7
