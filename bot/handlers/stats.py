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
from bot.handlers.access import admin_command, now
from bot.handlers.replies import escape, reply
from bot.services import publish_rules, services
from jobs.stats import CHART_DAYS, Stats, gather_stats
from storage.records import DeliveryStatus, FeedHealth

log = logging.getLogger(__name__)

MAX_LISTED = 10  # skipped files and topics shown; the message must stay well under 4096


def _when(at: datetime | None, now: datetime) -> str:
    if at is None:
        return "never"
    minutes = int((now - at).total_seconds() // 60)
    ago = f"{minutes} min ago" if minutes < 120 else f"{minutes // 60} h ago"
    return f"{at.strftime('%Y-%m-%d %H:%M UTC')} ({ago})"


def _short_path(path: str, roots: Sequence[Path]) -> str:
    for root in roots:
        try:
            return str(Path(path).relative_to(root))
        except ValueError:
            continue
    return path


def feed_line(feed: FeedHealth, now: datetime) -> str:
    """One JSON feed source's health, Telegram HTML. Pure."""
    name = escape(feed.url.split("://", 1)[-1])
    errors = f"{feed.total_errors} error{'' if feed.total_errors == 1 else 's'} in all"
    if feed.consecutive_failures:
        line = (
            f"{name}: <b>failing</b> ({feed.consecutive_failures} in a row, {errors}); "
            f"last error: {escape(_short(feed.last_error or 'unknown'))}"
        )
        if feed.next_attempt_at is not None and feed.next_attempt_at > now:
            line += f"; next attempt {feed.next_attempt_at.strftime('%H:%M UTC')}"
        return line
    if feed.last_success_at is None:
        return f"{name}: not fetched yet"
    return f"{name}: ok, last fetched {_when(feed.last_success_at, now)} · {errors}"


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def stats_text(stats: Stats, roots: Sequence[Path] = ()) -> str:
    """Telegram HTML. Pure."""
    lines = [
        "<b>feedbot</b> — scheduled publishing "
        + ("<b>paused</b> (/resume)" if stats.paused else "on"),
        f"Articles: {stats.articles} stored · {stats.eligible} eligible now · "
        f"{stats.posted_today} posted today",
        f"Last run: {_when(stats.last_run_at, stats.now)}",
    ]
    if stats.last_ingest is not None:
        i = stats.last_ingest
        lines.append(
            f"Last ingest: {i.new} new, {i.updated} updated, {i.unchanged} unchanged files"
        )
    if stats.skipped_files:
        lines.append(f"Files skipped at the last ingest ({len(stats.skipped_files)}):")
        for path, reason in stats.skipped_files[:MAX_LISTED]:
            lines.append(f"• {escape(_short_path(path, roots))}: {escape(reason)}")
        if len(stats.skipped_files) > MAX_LISTED:
            lines.append(f"• … and {len(stats.skipped_files) - MAX_LISTED} more")
    if stats.feeds:
        lines.append("Feeds:")
        lines.extend(f"• {feed_line(feed, stats.now)}" for feed in stats.feeds[:MAX_LISTED])
        if len(stats.feeds) > MAX_LISTED:
            lines.append(f"• … and {len(stats.feeds) - MAX_LISTED} more")
    if stats.not_news:
        lines.append(f"Not news (publish.exclude): {stats.not_news} left out at the last run")
    if stats.rising is not None:
        lines.extend(_rising_lines(stats))
    lines.append(f"Chats: {stats.chats_active} active · {stats.chats_inactive} inactive")
    if stats.closed_threads:
        lines.append(f"Forum threads closed or deleted ({len(stats.closed_threads)}):")
        for chat_id, thread_id, reason in stats.closed_threads[:MAX_LISTED]:
            lines.append(f"• chat {chat_id}, thread {thread_id}: {escape(reason)}")
        if len(stats.closed_threads) > MAX_LISTED:
            lines.append(f"• … and {len(stats.closed_threads) - MAX_LISTED} more")
    d = stats.deliveries
    lines.append(
        f"Deliveries: {d.get(DeliveryStatus.PENDING, 0) + d.get(DeliveryStatus.SENDING, 0)} "
        f"pending · {d.get(DeliveryStatus.FAILED, 0)} failed · "
        f"{d.get(DeliveryStatus.SENT, 0)} sent"
    )
    if stats.subscribers:
        lines.append("Subscribers per topic:")
        for name, count in stats.subscribers[:MAX_LISTED]:
            lines.append(f"• {escape(name)}: {count}")
        if len(stats.subscribers) > MAX_LISTED:
            lines.append(f"• … and {len(stats.subscribers) - MAX_LISTED} more topics")
    else:
        lines.append("Subscribers per topic: none yet")
    return "\n".join(lines)


def _rising_lines(stats: Stats) -> list[str]:
    if not stats.rising:
        return ["Rising now: none"]
    lines = [f"Rising now ({len(stats.rising)}):"]
    for item in stats.rising[:MAX_LISTED]:
        title = escape(_short(item.article.title, 80))
        lines.append(f"• 📈 {title}: 🔥 {item.article.heat} (+{item.gain})")
    if len(stats.rising) > MAX_LISTED:
        lines.append(f"• … and {len(stats.rising) - MAX_LISTED} more")
    return lines


@admin_command
async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    svc = services(context.application)
    figures = await gather_stats(
        svc.uow,
        publish_rules(svc.config),
        svc.channel_id,
        now(),
        [feed.url for feed in svc.config.feeds],
    )
    await reply(message, stats_text(figures, svc.config.folders))
    title = f"Channel posts per day (UTC), last {CHART_DAYS} days"
    png = await asyncio.to_thread(posts_per_day_png, figures.posts_per_day, title)
    if png is None:
        return
    try:
        await message.reply_photo(png, caption=escape(title), parse_mode=ParseMode.HTML)
    except TelegramError as exc:
        log.warning("could not send the /stats chart: %s", exc.message)
