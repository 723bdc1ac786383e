"""The digest slot job on the JobQueue: every DIGEST_TICK_SECONDS, jobs.digests queues the
digests whose slot came, each worded here in its chat's language (storage.records.Chat's
reader_language, else telegram.language, as alerts are), and wakes the delivery worker, which
sends them as it sends an alert."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from telegram.ext import ContextTypes

from bot.formatting.digest import DigestLine, digest_line, render_digest
from bot.i18n import translator
from bot.services import Services, services
from jobs.digest_slots import zone
from jobs.digests import Digest, Render, queue_digests, queue_last_digest
from storage.records import DigestMode

log = logging.getLogger(__name__)

DIGEST_TICK_SECONDS = 60.0  # a digest comes within a minute of its slot


def digest_text(
    digest: Digest, configured: str, lines: dict[tuple[int, str], DigestLine] | None = None
) -> str:
    """Telegram HTML. Pure but for `lines`, the story lines already made (by article and
    language), which one slot's many digests share."""
    t = translator(digest.language, configured)
    made = {} if lines is None else lines
    tz = zone(digest.schedule.timezone) or UTC
    start, end = (at.astimezone(tz) for at in (digest.period.start, digest.period.end))
    where = digest.schedule.timezone
    if digest.schedule.mode is DigestMode.HOURLY:
        header = t.gettext(
            "🗞 <b>Hourly digest</b> · {start}–{end} ({zone})",
            start=f"{start:%H:%M}",
            end=f"{end:%H:%M}",
            zone=where,
        )
    else:
        header = t.gettext(
            "🗞 <b>Daily digest</b> · since {start} ({zone})",
            start=f"{start:%Y-%m-%d %H:%M}",
            zone=where,
        )
    entries = []
    for article in digest.entries:
        line = made.get((article.id, t.language))
        if line is None:
            line = made[(article.id, t.language)] = digest_line(article, t.gettext("Article"))
        entries.append(line)
    return render_digest(
        header,
        entries,
        digest.more,
        lambda n: t.ngettext("… and {n} more", "… and {n} more", n),
    )


def renderer(svc: Services) -> Render:
    """For one slot job: the lines it makes are kept until it ends."""
    configured = svc.config.telegram.language
    lines: dict[tuple[int, str], DigestLine] = {}
    return lambda digest: digest_text(digest, configured, lines)


async def run_digest_slot(
    svc: Services, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> int:
    """Queue what is due now and wake the worker; returns how many digests were queued."""
    return await _queue_and_wake(svc, queue_digests, clock)


async def send_last_digest(
    svc: Services,
    chat_id: int,
    thread_id: int,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    """Before a subscriber leaves digests: what its open period has so far, as a last digest
    (jobs.digests.queue_last_digest), and the worker woken."""
    return await _queue_and_wake(svc, queue_last_digest, clock, chat_id, thread_id)


async def _queue_and_wake(
    svc: Services,
    queue: Callable[..., Awaitable[int]],
    clock: Callable[[], datetime],
    *where: int,
) -> int:
    """`queue` (jobs.digests' queue_digests or queue_last_digest) with the bot's settings."""
    queued = await queue(
        svc.uow,
        renderer(svc),
        *where,
        channel_id=svc.channel_id,
        min_heat=svc.config.publish.min_heat,
        clock=clock,
        lock=svc.run_lock,
    )
    if queued:
        svc.worker.wake()
    return int(queued)


async def digest_tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    await run_digest_slot(services(context.application))
