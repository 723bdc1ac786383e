"""A feed URL's credentials never reach /stats, an alert or a log line."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.alerts import alert_text
from bot.handlers.stats import feed_line
from bot.i18n import translator
from bot.logs import RedactingFormatter
from bot.url_secrets import shown_url, url_secrets
from jobs.alerts import SOURCE_PREFIX, Alert
from storage.records import FeedHealth
from tests.bot_process import run_cli, write_config


@pytest.mark.parametrize(
    ("url", "shown", "secrets"),
    [
        ("https://news.example.com/api/news/index.json", None, ()),
        (
            "https://reader:p%40ss-word@feeds.example.com/news.json?page=2",
            "https://reader:***@feeds.example.com/news.json?page=2",
            ("p%40ss-word",),
        ),
        (
            "https://feeds.example.com/news.json?page=2&api_key=AbC123xyz&lang=en",
            "https://feeds.example.com/news.json?page=2&api_key=***&lang=en",
            ("AbC123xyz",),
        ),
        (
            "https://feeds.example.com/n.json?Access_Token=t0k3n-value#top",
            "https://feeds.example.com/n.json?Access_Token=***#top",
            ("t0k3n-value",),
        ),
        ("https://feeds.example.com/n.json?token=", None, ()),  # nothing to hide
        ("https://feeds.example.com/n.json?sig=ab", "https://feeds.example.com/n.json?sig=***", ()),
        ("http://[broken/n.json?key=s3cr3t", "http://[broken/n.json?key=***", ("s3cr3t",)),
    ],
)
def test_credentials_in_a_feed_url(url: str, shown: str | None, secrets: tuple[str, ...]) -> None:
    assert shown_url(url) == (shown or url)
    assert url_secrets(url) == secrets


def test_a_log_line_naming_the_feed_shows_no_credential() -> None:
    url = "https://reader:pw-1234@feeds.example.com/news.json?api_key=AbC123xyz"
    formatter = RedactingFormatter("%(message)s", url_secrets(url))
    record = logging.LogRecord("jobs", logging.INFO, __file__, 1, "feed %s failed", (url,), None)
    line = formatter.format(record)
    assert "AbC123xyz" not in line and "pw-1234" not in line
    assert "feeds.example.com/news.json" in line


KEYED = "https://reader:pw-1234@feeds.example.com/news.json?api_key=AbC123xyz"
FAILED = f"Client error '404 Not Found' for url '{KEYED.replace('news.json', 'page/2.json')}'"


def test_stats_and_alerts_show_a_keyed_feed_without_its_key() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    failing = FeedHealth(KEYED, consecutive_failures=2, total_errors=2, last_error=FAILED)
    down = Alert(f"{SOURCE_PREFIX}{KEYED}", "down", 1, now, FAILED)
    t = translator("en")
    for text in (feed_line(t, failing, now), alert_text(t, down, "@news")):
        assert "AbC123xyz" not in text and "pw-1234" not in text, text
        assert "feeds.example.com/news.json?api_key=***" in text
        assert "page/2.json?api_key=***" in text  # the error quoting a page of the feed


def test_a_folder_source_is_shown_as_it_is() -> None:
    assert shown_url("/srv/news@2024/articles") == "/srv/news@2024/articles"
    assert url_secrets("/srv/news?key=abcd") == ()


@pytest.mark.process
def test_the_bots_log_never_shows_a_feeds_key(tmp_path: Path) -> None:
    keyed = "http://127.0.0.1:9/news.json?api_key=AbC123xyz"  # port 9: refused at once
    config = write_config(tmp_path, None, sources=[{"path": "./articles"}, {"url": keyed}])
    result = run_cli("run", "--config", str(config), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "127.0.0.1:9/news.json?api_key=[redacted]" in result.stderr  # the failure, logged
    assert "AbC123xyz" not in result.stderr + result.stdout
