"""The one home of the keys in the key-value state table: what each key holds, and who writes it."""

from __future__ import annotations

LAST_RUN_KEY = "last_run_at"  # ISO time of the last scheduled run (jobs.publishing)
LAST_INGEST_KEY = "last_ingest"  # JSON counts of the last run's ingest, for /stats
# "1": scheduled runs ingest but select nothing (/pause), so /publish and /preview still find
# the articles that arrive meanwhile.
PAUSED_KEY = "paused"
# JSON: per watched thing (jobs.alerts keys), its alert state; written by jobs.health
ALERT_STATES_KEY = "alert_states"
# ISO time up to which the digest slot job has queued every digest due (jobs.digests)
DIGEST_SLOTS_KEY = "digest_slots_until"


def channel_state_key(channel: str | int) -> str:
    """The numeric id the configured channel (an @name or an id) resolved to at start."""
    return f"channel_id:{channel}"


# How many candidates the last scheduled run left out as not news (publish.exclude), for /stats.
NOT_NEWS_KEY = "not_news_last_run"
