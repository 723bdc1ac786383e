"""Composition root: builds the python-telegram-bot Application, opens and closes the database
around it, starts the delivery worker, puts the publishing run on the JobQueue, registers the
command handlers and sets the command menus."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults

from bot.alerts import check_health
from bot.config import Config, ConfigError
from bot.digests import DIGEST_TICK_SECONDS, digest_tick
from bot.handlers import register_handlers
from bot.handlers.access import fallback_translator
from bot.handlers.commands import set_command_menus
from bot.handlers.profile import set_descriptions
from bot.i18n import N_
from bot.rate_limit import PacedRateLimiter
from bot.sender import TelegramSender
from bot.services import SERVICES, Services, feed_specs, publish_rules, services
from bot.transport import AiohttpRequest
from bot.update_lanes import ChatLanes
from bot.updates import FeedBot
from bot.watcher import FolderWatcher
from jobs.backoff import Backoff
from jobs.channel_recovery import channel_back
from jobs.delivery import DeliveryWorker
from jobs.delivery.claims import HEARTBEAT_SECONDS, SharedClaims
from jobs.pacing import FREE_CAP, MAX_IN_FLIGHT, Pacer
from jobs.publishing import publish_run
from jobs.send_gate import SendGate
from jobs.subscriptions import add_topics
from storage.database import create_engine, create_sessionmaker, is_postgres
from storage.errors import is_database_unavailable
from storage.records import ChatKind, IngestReport
from storage.state_keys import channel_state_key
from storage.unit_of_work import UnitOfWork, UowFactory

log = logging.getLogger(__name__)

DATABASE_AWAY = N_("I can't reach my database right now; please try again in a minute.")
# getChat at start, after a network error: 2, 4, 8, 16 s, then the start fails.
CHANNEL_LOOKUP_BACKOFF: Backoff[float] = Backoff(base=2.0, cap=16.0)


def make_uow(engine: AsyncEngine) -> UowFactory:
    sessions = create_sessionmaker(engine)
    return lambda: UnitOfWork(sessions)


def make_gate(config: Config) -> SendGate:
    cap = config.delivery.max_messages_per_second
    if cap > FREE_CAP and not config.delivery.paid_broadcast:
        # Allowed (a local Bot API server, a test's fake may take more), but on Telegram itself
        # it is a mistake the operator should hear of before the 429s.
        log.warning(
            "delivery.max_messages_per_second is %g, above Telegram's %g/s for bots without "
            "paid broadcasts; set delivery.paid_broadcast: true (enabled in @BotFather) or "
            "expect flood-limit answers",
            cap,
            FREE_CAP,
        )
    return SendGate(
        Pacer(
            cap=config.delivery.max_messages_per_second,
            free_cap=FREE_CAP if config.delivery.paid_broadcast else None,
        )
    )


def make_delivery_worker(
    config: Config, uow: UowFactory, sender: TelegramSender, gate: SendGate, role: str
) -> DeliveryWorker:
    """Alone on SQLite; on PostgreSQL one of the database's delivery workers (`run` is one of
    them, each `feedbot worker` another), polling for work at every heartbeat, since
    a selection run in `feedbot run` wakes only its own worker."""
    if not is_postgres(config.database.url):
        return DeliveryWorker(uow, sender, gate)
    claims = SharedClaims(uow, gate.pacer, role)
    return DeliveryWorker(uow, sender, gate, claims=claims, idle_poll=HEARTBEAT_SECONDS)


def make_bot(config: Config, gate: SendGate, lanes: ChatLanes | None = None) -> FeedBot:
    """The bot `feedbot run` and `feedbot worker` send with."""
    return FeedBot(
        config.require_token(),
        base_url=config.telegram.api_base_url,
        base_file_url=config.telegram.file_base_url,
        defaults=Defaults(parse_mode=ParseMode.HTML),
        # Room for the most broadcast sends ever in flight plus command replies, which never
        # wait for a connection behind a fan-out. Connections open only as needed, and the
        # engine keeps in flight only what the round trip needs (jobs.pacing). aiohttp, not
        # PTB's httpx: a third of the CPU per call (bot.transport).
        request=AiohttpRequest(connection_pool_size=MAX_IN_FLIGHT + 8),
        get_updates_request=AiohttpRequest(connection_pool_size=1),
        rate_limiter=PacedRateLimiter(gate, load=lanes.load) if lanes else PacedRateLimiter(gate),
    )


def make_sender(config: Config, bot: FeedBot) -> TelegramSender:
    return TelegramSender(
        bot, paid_broadcast=config.delivery.paid_broadcast, language=config.telegram.language
    )


def build_application(config: Config) -> Application[Any, Any, Any, Any, Any, Any]:
    # One gate for every message, the worker's and the handlers' replies alike.
    gate = make_gate(config)
    lanes = ChatLanes()
    application = (
        ApplicationBuilder()
        .bot(make_bot(config, gate, lanes))
        .concurrent_updates(lanes)
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .build()
    )
    engine = create_engine(config.database.url)
    sender = make_sender(config, application.bot)
    uow = make_uow(engine)
    worker = make_delivery_worker(config, uow, sender, gate, "run")
    application.bot_data[SERVICES] = Services(config, engine, uow, worker, sender)
    register_handlers(application)
    application.add_error_handler(_on_error)
    return application


async def _resolve_channel(application: Application[Any, Any, Any, Any, Any, Any]) -> int:
    """Ask Telegram for the channel's numeric id: the outbox is keyed by it, so renaming the
    channel's @username does not repost everything."""
    svc = services(application)
    target = svc.config.telegram.channel
    for attempt in range(1, 6):
        try:
            chat = await application.bot.get_chat(target)
            break
        except (BadRequest, Forbidden) as exc:
            raise ConfigError(
                f"telegram.channel: Telegram cannot find or open {target!r} ({exc.message}); "
                "check the @username or id and add the bot to the channel as an administrator"
            ) from None
        except NetworkError as exc:
            if attempt == 5:
                raise
            log.warning("getChat(%s) failed (%s); retrying", target, exc.message)
            await asyncio.sleep(CHANNEL_LOOKUP_BACKOFF.longest(attempt))
    now = datetime.now(UTC)
    async with svc.uow() as tx:
        known = await tx.chats.chat(chat.id)
    # A channel lost earlier (removed, rights taken) is back only when Telegram says the bot
    # may post there: a restart alone is no recovery to tell the operator about.
    back = known is None or known.active or await _may_post(application, chat.id)
    if back:  # the worker starts after this: it finds what the channel's loss cancelled owed
        window = timedelta(hours=svc.config.publish.story_window_hours)
        await channel_back(svc.uow, chat.id, now, window)
    async with svc.uow() as tx:
        title = chat.title or chat.username
        await tx.chats.ensure_chat(chat.id, ChatKind(chat.type), title, now, activate=back)
        await tx.state.set(channel_state_key(target), str(chat.id))
    svc.channel_title = chat.title
    # "Open the channel": its public address, else its invite link (Telegram gives it to an
    # admin with the right to invite), else no such button.
    svc.channel_url = f"https://t.me/{chat.username}" if chat.username else chat.invite_link
    return int(chat.id)


async def _may_post(application: Application[Any, Any, Any, Any, Any, Any], chat_id: int) -> bool:
    try:
        member = await application.bot.get_chat_member(chat_id, application.bot.id)
    except TelegramError as exc:
        log.warning("getChatMember(%d) for the bot failed: %s", chat_id, exc.message)
        return False
    if member.status == ChatMemberStatus.OWNER:
        return True
    return member.status == ChatMemberStatus.ADMINISTRATOR and bool(
        getattr(member, "can_post_messages", False)
    )


async def _post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    svc = services(application)
    await svc.worker.prepare()
    svc.channel_id = await _resolve_channel(application)
    await add_topics(svc.uow, svc.config.topics)
    await set_command_menus(application.bot, svc)
    await set_descriptions(application.bot, svc.config.telegram, svc.channel_name)
    svc.worker_task = asyncio.create_task(svc.worker.run(), name="delivery-worker")
    interval = svc.config.schedule.interval_seconds
    # Both at start too. The publishing run: a delayed one (a long ingest, a suspended host) runs
    # once, late. The digest slot: a slot missed while the bot was down is queued at once.
    _repeat(application, publish_tick, interval, "publish", grace=int(interval) + 60)
    _repeat(application, digest_tick, DIGEST_TICK_SECONDS, "digests", grace=600)
    log.info("feedbot started: posting to %s every %g s", svc.config.telegram.channel, interval)
    svc.watcher = FolderWatcher(
        svc.config.watched_folders, lambda paths: _publish(svc, changed=paths)
    )
    svc.watcher.start()
    # What start-up made (modules, the bot, caches) lives as long as the process: out of the
    # collector's sight, a full collection scans only what came since, and no longer holds
    # the event loop for tens of milliseconds in a large digest slot (tests/test_digests.py).
    gc.freeze()


def _repeat(
    application: Application[Any, Any, Any, Any, Any, Any],
    callback: Callable[[ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]],
    interval: float,
    name: str,
    *,
    grace: int,
) -> None:
    assert application.job_queue is not None
    application.job_queue.run_repeating(
        callback,
        interval=interval,
        name=name,
        job_kwargs={
            # The first run at start. Not `first=0`: the scheduler starts after post_init, and
            # APScheduler then rounds a start time in the past up to the next interval, so the
            # first run would come one whole interval (5 minutes by default) late.
            "next_run_time": datetime.now(UTC),
            # A run delayed past its time runs once, late, instead of being dropped
            # (APScheduler's default grace is 1 s) or run several times.
            "misfire_grace_time": grace,
            "coalesce": True,
            "max_instances": 1,
        },
    )


async def _post_stop(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    svc = services(application)
    if svc.watcher is not None:
        await svc.watcher.stop()
    processor = application.update_processor
    if isinstance(processor, ChatLanes):
        await processor.drain()  # before the bot shuts down: the updates still queued reply
    await svc.worker.stop()
    if svc.worker_task is not None:
        await svc.worker_task


async def _post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    await services(application).engine.dispose()


async def publish_tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    await _publish(services(context.application))


async def _publish(svc: Services, changed: list[str] | None = None) -> IngestReport:
    """One publishing run: the scheduled one, or a watched folder's (`changed`: only those
    paths ingested). Both take the run lock and make the same decision."""
    async with svc.run_lock:
        report = await publish_run(
            svc.uow,
            svc.config.folders,
            publish_rules(svc.config),
            svc.channel_id,
            feeds=feed_specs(svc.config),
            changed=changed,
            story_window=timedelta(hours=svc.config.publish.story_window_hours),
        )
    if report.enqueued or report.fanned_out or report.edits:
        svc.worker.wake()
    await check_health(svc)
    return report.ingest


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    where = f"update {update.update_id}" if isinstance(update, Update) else "a job"
    if is_database_unavailable(context.error):
        # An outage fails every update and every run until it ends: one line each, not a
        # traceback each, and the user hears that trying again later will work.
        log.warning(
            "database unavailable while handling %s (%s)", where, type(context.error).__name__
        )
        if isinstance(update, Update):
            t = fallback_translator(update, context)
            with contextlib.suppress(TelegramError):
                if update.callback_query is not None:
                    # answered, or the button spins until Telegram gives up
                    await update.callback_query.answer(t.gettext(DATABASE_AWAY), show_alert=True)
                elif update.effective_message is not None:
                    await update.effective_message.reply_text(t.gettext(DATABASE_AWAY))
        return
    log.error("error while handling %s", where, exc_info=context.error)
