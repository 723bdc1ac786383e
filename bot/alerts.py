"""The operator's alerts in words: after every scheduled run (and when Telegram reports a
change in the channel), jobs.health observes and decides; each alert is written here in the
admin's language and queued in the outbox for their private chat, sent through the same gate
as everything else."""

from __future__ import annotations

import html
import logging
from datetime import UTC, datetime

from bot.i18n import Translator, translator
from bot.services import Services
from bot.url_secrets import hide_secrets, shown_url
from jobs.alerts import CHANNEL, DELIVERIES, SOURCE_PREFIX, SOURCE_RUNS, Alert
from jobs.health import Render, observe, record_health

log = logging.getLogger(__name__)


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def alert_text(t: Translator, alert: Alert, channel: str) -> str:
    """Telegram HTML. Pure."""
    since, detail = when(alert.since), escape(alert.detail[:300])
    if alert.key == CHANNEL:
        if alert.direction == "down":
            return t.gettext(
                "⚠️ I can no longer post to {channel} ({detail}). Nothing goes there until I "
                "am an admin of the channel with the right to post again.",
                channel=escape(channel),
                detail=detail or "?",
            )
        return t.gettext(
            "✅ I can post to {channel} again (lost since {since}).",
            channel=escape(channel),
            since=since,
        )
    if alert.key == DELIVERIES:
        if alert.direction == "down":
            return t.gettext(
                "⚠️ Deliveries are failing at a high rate: {detail} failed in the last run. "
                "/stats shows more.",
                detail=detail,
            )
        return t.gettext(
            "✅ Deliveries go out normally again (failing since {since}).", since=since
        )
    # a feed's URL: shown, and its errors quoted, without its credentials
    url = alert.key.removeprefix(SOURCE_PREFIX)
    source, detail = escape(shown_url(url)), escape(hide_secrets(alert.detail, url)[:300])
    if alert.direction == "down":
        return t.ngettext(
            "⚠️ The source {source} failed {n} run in a row: {detail}",
            "⚠️ The source {source} failed {n} runs in a row: {detail}",
            SOURCE_RUNS,
            source=source,
            detail=detail or "?",
        )
    return t.gettext(
        "✅ The source {source} works again (failing since {since}).", source=source, since=since
    )


async def check_health(svc: Services) -> None:
    sent, failed = svc.worker.sent, svc.worker.failed
    seen = await observe(
        svc.uow,
        svc.channel_id,
        svc.config.folders,
        [feed.url for feed in svc.config.feeds],
        sent - svc.alerted_counts[0],
        failed - svc.alerted_counts[1],
    )
    svc.alerted_counts = (sent, failed)
    alerts = await record_health(
        svc.uow, seen, svc.config.telegram.admins, _renderer(svc), datetime.now(UTC)
    )
    if alerts:
        svc.worker.wake()


def _renderer(svc: Services) -> Render:
    channel = svc.channel_name
    configured = svc.config.telegram.language

    def render(alert: Alert, language: str | None) -> str:
        return alert_text(translator(language, configured), alert, channel)

    return render
