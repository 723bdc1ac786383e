"""The real Application (bot.app.build_application) in the test's event loop, against the fake
Bot API: started the way run_polling starts it, stopped in `finally`, with the scheduled
publishing run held back so that a test decides when a run happens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram.ext import Application, ContextTypes, Job

from bot.app import build_application
from bot.cli import ALLOWED_UPDATES
from bot.config import Config, load_config
from bot.services import Services, services
from bot.update_lanes import ChatLanes
from storage.database import upgrade_to_head
from storage.records import Chat, Delivery
from tests.bot_process import CHANNEL, CHANNEL_ID, write_config
from tests.fake_telegram.calls import Call
from tests.fake_telegram.server import FakeTelegram
from tests.fake_telegram.updates import message_update

ADMIN = 1000  # in telegram.admins (tests.bot_process.write_config)
SETTLE_CHAT = 999_999  # a private chat used only to know that earlier updates were handled


@dataclass
class LiveBot:
    app: Application[Any, Any, Any, Any, Any, Any]
    fake: FakeTelegram
    publish_job: Job[Any]
    errors: list[BaseException] = field(default_factory=list)

    @property
    def svc(self) -> Services:
        return services(self.app)

    async def run_publishing(self) -> None:
        """One scheduled run (publish_tick), now, as the JobQueue would run it."""
        await self.publish_job.run(self.app)

    def say(self, chat_id: int, user_id: int, text: str, **kwargs: Any) -> int:
        chat_type = kwargs.pop("chat_type", "private" if chat_id > 0 else "group")
        return self.fake.push_update(
            message_update(chat_id, user_id, text, chat_type=chat_type, **kwargs)
        )

    def replies(self, chat_id: int) -> list[Call]:
        """The bot's text messages in the chat: answers, and posts of articles without an image
        (tests give their articles images, so posts are sendPhoto)."""
        return [c for c in self.fake.sent(chat_id) if c.method == "sendMessage"]

    def posts(self, chat_id: int) -> list[Call]:
        return [c for c in self.fake.sent(chat_id) if c.method == "sendPhoto"]

    async def ask(self, chat_id: int, user_id: int, text: str, **kwargs: Any) -> str:
        """Send a message and return the text of the bot's answer in that chat."""
        before = len(self.replies(chat_id))
        self.say(chat_id, user_id, text, **kwargs)
        await self.fake.wait_for_async(
            lambda f: len(self.replies(chat_id)) > before,
            what=f"an answer to {text!r} in chat {chat_id}",
        )
        return self.replies(chat_id)[before].text or ""

    async def settle(self) -> None:
        """Wait until every update pushed so far was handled: once one more /help is answered,
        all of them were fetched (Telegram hands them out in order), and chats run in lanes of
        their own, so then wait for every lane to empty."""
        await self.ask(SETTLE_CHAT, SETTLE_CHAT, "/help")
        lanes = self.app.update_processor
        if isinstance(lanes, ChatLanes):
            await lanes.wait_idle()

    async def until(self, check: Callable[[], Awaitable[bool]], what: str) -> None:
        """Poll the database: a row written by the worker has no event to wait on."""
        try:
            async with asyncio.timeout(10):
                while True:
                    if await check():
                        return
                    await asyncio.sleep(0.02)  # polling a database row: there is no event
        except TimeoutError:
            raise AssertionError(f"still not so after 10 s: {what}") from None

    async def followed(self, chat_id: int) -> set[str]:
        async with self.svc.uow() as tx:
            ids = await tx.subscriptions.followed_topic_ids(chat_id)
            return {t.name for t in await tx.topics.topic_summaries() if t.id in ids}

    async def chat(self, chat_id: int) -> Chat | None:
        async with self.svc.uow() as tx:
            return await tx.chats.chat(chat_id)

    async def deliveries(self, chat_id: int) -> list[Delivery]:
        async with self.svc.uow() as tx:
            return await tx.outbox.deliveries_for(chat_id)


def bot_config(folder: Path, fake: FakeTelegram, **sections: Any) -> Config:
    sections.setdefault("schedule", {"interval_seconds": 3600})
    path = write_config(folder, fake, **sections)
    return load_config(path, env={"TELEGRAM_BOT_TOKEN": fake.token})


def add_channel(fake: FakeTelegram) -> None:
    fake.add_chat(CHANNEL_ID, "channel", title="AI news", username=CHANNEL[1:])


@contextmanager
def fake_with(*users: int) -> Iterator[FakeTelegram]:
    """The fake for tests of what the bot answers: no flood limits (a user typing five commands
    in a second would only make them wait), the channel and these users' private chats known.
    Fails the test if the fake itself failed on a request."""
    with FakeTelegram(enforce_rate_limits=False) as running:
        add_channel(running)
        for user_id in users:
            running.add_chat(user_id)
        yield running
    assert running.internal_errors == []


@asynccontextmanager
async def live_bot(fake: FakeTelegram, config: Config) -> AsyncIterator[LiveBot]:
    upgrade_to_head(config.database.url)
    application = build_application(config)
    errors: list[BaseException] = []

    async def record(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if context.error is not None:
            errors.append(context.error)

    application.add_error_handler(record)
    assert application.post_init and application.post_stop and application.post_shutdown
    assert application.updater is not None and application.job_queue is not None
    initialised = False
    await application.initialize()
    try:
        await application.post_init(application)
        initialised = True
        (job,) = application.job_queue.get_jobs_by_name("publish")
        job.enabled = False  # the JobQueue has not started: no run happens behind the test
        for digests in application.job_queue.get_jobs_by_name("digests"):
            digests.enabled = False  # nor a digest slot: tests call bot.digests with a clock
        await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        await application.start()
        bot = LiveBot(application, fake, job, errors)
        yield bot
    finally:
        if application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        if initialised:
            await application.post_stop(application)
        await application.shutdown()
        await application.post_shutdown(application)
    assert errors == [], f"handlers or jobs raised: {errors!r}"
