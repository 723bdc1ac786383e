"""/stats: the figures as text, and with the `charts` extra a picture of posts per day."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.charts import posts_per_day_png
from bot.formatting import post_title, shorten
from bot.handlers.access import admin_command, now, translator_for
from bot.handlers.replies import escape, reply
from bot.i18n import DEFAULT_LANGUAGE, Translator, translator
from bot.services import publish_rules, services
from bot.url_secrets import hide_secrets, shown_url
from jobs.health import Health, health
from jobs.stats import CHART_DAYS, Stats, gather_stats
from storage.records import DeliveryStatus, FeedHealth

log = logging.getLogger(__name__)

MAX_LISTED = 10  # skipped files and topics shown; the message must stay well under 4096
ENGLISH = translator(DEFAULT_LANGUAGE)


def _when(t: Translator, at: datetime | None, now: datetime) -> str:
    if at is None:
        return t.gettext("never")
    minutes = int((now - at).total_seconds() // 60)
    ago = (
        t.ngettext("{n} min ago", "{n} min ago", minutes)
        if minutes < 120
        else t.ngettext("{n} h ago", "{n} h ago", minutes // 60)
    )
    return f"{at.strftime('%Y-%m-%d %H:%M UTC')} ({ago})"


def _short_path(path: str, roots: Sequence[Path]) -> str:
    for root in roots:
        try:
            return str(Path(path).relative_to(root))
        except ValueError:
            continue
    return path


def feed_line(t: Translator, feed: FeedHealth, now: datetime) -> str:
    """One JSON feed source's health, Telegram HTML. Pure."""
    name = escape(shown_url(feed.url).split("://", 1)[-1])
    errors = t.ngettext("{n} error in all", "{n} errors in all", feed.total_errors)
    if feed.consecutive_failures:
        line = t.gettext(
            "{name}: <b>failing</b> ({count} in a row, {errors}); last error: {error}",
            name=name,
            count=feed.consecutive_failures,
            errors=errors,
            error=escape(_short(hide_secrets(feed.last_error or "?", feed.url))),
        )
        if feed.next_attempt_at is not None and feed.next_attempt_at > now:
            line += t.gettext(
                "; next attempt {time}", time=feed.next_attempt_at.strftime("%H:%M UTC")
            )
        return line
    if feed.last_success_at is None:
        return t.gettext("{name}: not fetched yet", name=name)
    return t.gettext(
        "{name}: ok, last fetched {when} · {errors}",
        name=name,
        when=_when(t, feed.last_success_at, now),
        errors=errors,
    )


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _more(t: Translator, items: Sequence[object]) -> list[str]:
    extra = len(items) - MAX_LISTED
    return [t.ngettext("• … and {n} more", "• … and {n} more", extra)] if extra > 0 else []


def health_line(t: Translator, health: Health, now: datetime) -> str:
    """/stats' first line: channel, sources, last post. Telegram HTML. Pure."""
    if health.channel_lost_since is None:
        channel = t.gettext("channel OK")
    else:
        channel = t.gettext(
            "channel <b>lost</b> since {when}", when=_when(t, health.channel_lost_since, now)
        )
    if health.failing_sources:
        names = ", ".join(escape(name) for name in health.failing_sources[:3])
        sources = t.ngettext(
            "<b>{n} source failing</b> ({names})",
            "<b>{n} sources failing</b> ({names})",
            len(health.failing_sources),
            names=names,
        )
    else:
        sources = t.gettext("sources OK")
    last = t.gettext("last post {when}", when=_when(t, health.last_post_at, now))
    return t.gettext(
        "Health: {channel} · {sources} · {last}", channel=channel, sources=sources, last=last
    )


def stats_text(
    stats: Stats, roots: Sequence[Path] = (), t: Translator = ENGLISH, health: str = ""
) -> str:
    """Telegram HTML, opening with the health line when there is one. Pure."""
    lines = [health] if health else []
    lines += [
        t.gettext("<b>feedbot</b> — scheduled publishing <b>paused</b> (/resume)")
        if stats.paused
        else t.gettext("<b>feedbot</b> — scheduled publishing on"),
        t.gettext(
            "Articles: {stored} stored · {eligible} eligible now · {today} posted today",
            stored=stats.articles,
            eligible=stats.eligible,
            today=stats.posted_today,
        ),
        t.gettext("Last run: {when}", when=_when(t, stats.last_run_at, stats.now)),
    ]
    if stats.last_ingest is not None:
        i = stats.last_ingest
        lines.append(
            t.gettext(
                "Last ingest: {new} new, {updated} updated, {unchanged} unchanged files",
                new=i.new,
                updated=i.updated,
                unchanged=i.unchanged,
            )
        )
    if stats.skipped_files:
        lines.append(
            t.gettext("Files skipped at the last ingest ({n}):", n=len(stats.skipped_files))
        )
        for path, reason in stats.skipped_files[:MAX_LISTED]:
            lines.append(f"• {escape(_short_path(path, roots))}: {escape(reason)}")
        lines += _more(t, stats.skipped_files)
    if stats.feeds:
        lines.append(t.gettext("Feeds:"))
        lines.extend(f"• {feed_line(t, feed, stats.now)}" for feed in stats.feeds[:MAX_LISTED])
        lines += _more(t, stats.feeds)
    if stats.not_news:
        lines.append(
            t.ngettext(
                "Not news (publish.exclude): {n} left out at the last run",
                "Not news (publish.exclude): {n} left out at the last run",
                stats.not_news,
            )
        )
    if stats.rising is not None:
        lines += _rising_lines(t, stats)
    lines += _audience_lines(t, stats)
    return "\n".join(lines)


def _audience_lines(t: Translator, stats: Stats) -> list[str]:
    """Chats, deliveries and subscribers."""
    lines: list[str] = []
    lines.append(
        t.gettext(
            "Chats: {active} active · {inactive} inactive",
            active=stats.chats_active,
            inactive=stats.chats_inactive,
        )
    )
    if stats.closed_threads:
        lines.append(
            t.gettext("Forum threads closed or deleted ({n}):", n=len(stats.closed_threads))
        )
        for chat_id, thread_id, reason in stats.closed_threads[:MAX_LISTED]:
            lines.append(
                t.gettext(
                    "• chat {chat}, thread {thread}: {reason}",
                    chat=chat_id,
                    thread=thread_id,
                    reason=escape(reason),
                )
            )
        lines += _more(t, stats.closed_threads)
    d = stats.deliveries
    lines.append(
        t.gettext(
            "Deliveries: {pending} pending · {failed} failed · {sent} sent",
            pending=d.get(DeliveryStatus.PENDING, 0) + d.get(DeliveryStatus.SENDING, 0),
            failed=d.get(DeliveryStatus.FAILED, 0),
            sent=d.get(DeliveryStatus.SENT, 0),
        )
    )
    if stats.subscribers:
        lines.append(t.gettext("Subscribers per topic:"))
        for name, count in stats.subscribers[:MAX_LISTED]:
            lines.append(f"• {escape(name)}: {count}")
        lines += _more(t, stats.subscribers)
    else:
        lines.append(t.gettext("Subscribers per topic: none yet"))
    return lines


def _rising_lines(t: Translator, stats: Stats) -> list[str]:
    if not stats.rising:
        return [t.gettext("Rising now: none")]
    lines = [t.gettext("Rising now ({n}):", n=len(stats.rising))]
    for item in stats.rising[:MAX_LISTED]:
        title = escape(shorten(post_title(item.article), 80))
        lines.append(f"• 📈 {title}: 🔥 {item.article.heat} (+{item.gain})")
    return lines + _more(t, stats.rising)


@admin_command
async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    t = await translator_for(update, context)
    svc = services(context.application)
    figures = await gather_stats(
        svc.uow,
        publish_rules(svc.config),
        svc.channel_id,
        now(),
        [feed.url for feed in svc.config.feeds],
    )
    line = health_line(t, await health(svc.uow, svc.channel_id), figures.now)
    await reply(message, stats_text(figures, svc.config.folders, t, line))
    title = t.ngettext(
        "Channel posts per day (UTC), last {n} day",
        "Channel posts per day (UTC), last {n} days",
        CHART_DAYS,
    )
    png = await asyncio.to_thread(posts_per_day_png, figures.posts_per_day, title)
    if png is None:
        return
    try:
        await message.reply_photo(png, caption=escape(title), parse_mode=ParseMode.HTML)
    except TelegramError as exc:
        log.warning("could not send the /stats chart: %s", exc.message)
