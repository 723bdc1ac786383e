"""The operator's view of the bot's health: what each run observes (the channel, every source,
the deliveries), the alerts jobs.alerts decides on, queued in the outbox for every admin in the
same transaction as the new alert states (so a restart neither skips nor doubles one), and the
summary /stats opens with."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from jobs.alerts import (
    CHANNEL,
    SOURCE_PREFIX,
    SOURCE_RUNS,
    Alert,
    AlertState,
    Observation,
    decide,
    delivery_observation,
)
from storage.state_keys import ALERT_STATES_KEY
from storage.unit_of_work import Transaction, UowFactory

log = logging.getLogger(__name__)

# (alert, the admin chat's /language choice or None) -> the alert's text, Telegram HTML
Render = Callable[[Alert, str | None], str]
_KEY_LIMIT = 200  # deliveries.alert_key


@dataclass(frozen=True, slots=True)
class Health:
    channel_lost_since: datetime | None  # None: the channel works
    failing_sources: tuple[str, ...]  # folders and feed URLs
    last_post_at: datetime | None  # the channel's last successful post


async def observe(
    uow: UowFactory,
    channel_id: int,
    folders: Sequence[Path],
    feed_urls: Sequence[str],
    sent: int,
    failed: int,
) -> list[Observation]:
    """What one run sees; `sent`, `failed`: the deliveries since the last observation."""
    missing = await asyncio.to_thread(lambda: [f for f in folders if not f.is_dir()])
    async with uow() as tx:
        channel = await tx.chats.chat(channel_id)
        feeds = await tx.feeds.healths(feed_urls) if feed_urls else []
    seen = [
        Observation(
            CHANNEL,
            channel is None or not channel.active,
            (channel.inactive_reason if channel else None) or "",
        )
    ]
    seen += [
        Observation(f"{SOURCE_PREFIX}{folder}", folder in missing, "no such folder", SOURCE_RUNS)
        for folder in folders
    ]
    seen += [
        Observation(
            f"{SOURCE_PREFIX}{feed.url}",
            feed.consecutive_failures > 0,
            feed.last_error or "",
            SOURCE_RUNS,
        )
        for feed in feeds
    ]
    seen.append(delivery_observation(sent, failed))
    return seen


async def record_health(
    uow: UowFactory,
    seen: Sequence[Observation],
    admins: Sequence[int],
    render: Render,
    now: datetime,
) -> list[Alert]:
    """Decide on every observation; queue each alert for every admin who has a chat with the
    bot (Telegram refuses a message to anyone else). Returns the alerts decided."""
    async with uow() as tx:
        states = await _states(tx)
        alerts = []
        for observation in seen:
            states[observation.key], alert = decide(
                states.get(observation.key, AlertState()), observation, now
            )
            if alert is not None:
                alerts.append(alert)
        for alert in alerts:
            log.warning("operator alert: %s %s %s", alert.key, alert.direction, alert.detail)
            for admin in admins:
                chat = await tx.chats.chat(admin)
                if chat is None:
                    log.warning("admin %d has never written to the bot: no alert there", admin)
                    continue
                text = render(alert, chat.reader_language)
                await tx.outbox.enqueue_alert(admin, _outbox_key(alert), text, now)
        await tx.state.set(ALERT_STATES_KEY, _dump(states))
    return alerts


async def health(uow: UowFactory, channel_id: int) -> Health:
    async with uow() as tx:
        states = await _states(tx)
        channel = await tx.chats.chat(channel_id)
        last_post = await tx.outbox.last_sent_at(channel_id)
    lost = states.get(CHANNEL, AlertState())
    lost_since = lost.since if lost.open or (channel and not channel.active) else None
    if channel is not None and not channel.active and lost_since is None:
        lost_since = channel.updated_at
    failing = tuple(
        key.removeprefix(SOURCE_PREFIX)
        for key, state in states.items()
        if key.startswith(SOURCE_PREFIX) and state.open
    )
    return Health(lost_since, failing, last_post)


def _outbox_key(alert: Alert) -> str:
    key = alert.outbox_key
    if len(key) <= _KEY_LIMIT:
        return key
    digest = hashlib.sha256(alert.key.encode()).hexdigest()[:32]
    return f"{SOURCE_PREFIX}{digest}#{alert.episode}:{alert.direction}"


async def _states(tx: Transaction) -> dict[str, AlertState]:
    raw = await tx.state.get(ALERT_STATES_KEY)
    if not raw:
        return {}
    states = {}
    for key, value in json.loads(raw).items():
        since = value.get("since")
        states[key] = AlertState(
            value["failing_runs"],
            value["open"],
            value["episode"],
            datetime.fromisoformat(since) if since else None,
        )
    return states


def _dump(states: dict[str, AlertState]) -> str:
    return json.dumps(
        {
            key: {**asdict(state), "since": state.since.isoformat() if state.since else None}
            for key, state in states.items()
        },
        sort_keys=True,
    )
