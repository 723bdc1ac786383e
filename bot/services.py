"""What handlers and jobs share, kept in application.bot_data: the composition root (bot.app)
builds it, handlers reach it through `services(context.application)`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from cachetools import TTLCache
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot.config import Config
from bot.permissions import MemberStatusCache
from bot.sender import TelegramSender
from bot.watcher import FolderWatcher
from jobs.delivery import DeliveryWorker
from jobs.ingest.feeds import FeedSpec
from jobs.not_news import NotNews
from jobs.selection import PublishRules, RisingRules
from storage.unit_of_work import UowFactory

SERVICES = "feedbot"
# Plain text in a private chat is answered with where to start once in this many seconds: a
# user pasting ten messages wants one pointer, not ten.
NUDGE_QUIET = 60.0


@dataclass
class Services:
    config: Config
    engine: AsyncEngine
    uow: UowFactory
    worker: DeliveryWorker
    sender: TelegramSender
    channel_id: int = 0
    channel_title: str | None = None
    channel_url: str | None = None  # "Open the channel" (bot.handlers.welcome); None: no button
    worker_task: asyncio.Task[None] | None = None
    watcher: FolderWatcher | None = None
    # Scheduled runs and manual /publish take turns: both select and enqueue.
    run_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    member_status: MemberStatusCache = field(default_factory=MemberStatusCache)
    # private chats told lately that the bot answers commands (bot.handlers.unknown)
    nudged: TTLCache[int, bool] = field(default_factory=lambda: TTLCache(10_000, NUDGE_QUIET))
    # groups greeted lately on joining: the app's "/start start" that follows is not greeted
    # again (bot.handlers.welcome)
    greeted: TTLCache[int, bool] = field(default_factory=lambda: TTLCache(10_000, NUDGE_QUIET))
    # the worker's (sent, failed) counters at the last health check (bot.alerts)
    alerted_counts: tuple[int, int] = (0, 0)

    @property
    def channel_name(self) -> str:
        """The channel as users know it: its @username, else its title."""
        channel = self.config.telegram.channel
        return channel if isinstance(channel, str) else self.channel_title or str(channel)


def services(application: Application[Any, Any, Any, Any, Any, Any]) -> Services:
    found = application.bot_data[SERVICES]
    assert isinstance(found, Services)
    return found


def publish_rules(config: Config) -> PublishRules:
    hours = config.publish.max_age_hours
    rising = config.publish.rising
    return PublishRules(
        min_heat=config.publish.min_heat,
        max_age=None if hours is None else timedelta(hours=hours),
        max_per_run=config.publish.max_per_run,
        rising=None
        if rising is None
        else RisingRules(rising.min_heat, rising.gain, timedelta(hours=rising.within_hours)),
        exclude=NotNews.of(config.publish.exclude),
        max_per_source=config.publish.max_per_source,
    )


def feed_specs(config: Config) -> list[FeedSpec]:
    return [FeedSpec(f.url, f.max_pages, f.timeout_seconds) for f in config.feeds]
