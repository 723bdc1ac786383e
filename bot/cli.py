"""The `feedbot` command (also `python -m bot`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.exc import InterfaceError, OperationalError

from bot.config import Config, ConfigError, load_config
from bot.config_env import TOKEN_ENV
from bot.formatting import render_post
from bot.logs import configure_logging, redact_tokens
from bot.url_secrets import shown_url, url_secrets
from jobs.ingest.sources import ingest_sources
from jobs.publishing import select_articles
from storage.database import create_engine, upgrade_to_head
from storage.lease import Lease, LeaseError, LeaseHeldError, describe, take_lease
from storage.records import IngestReport
from storage.state_keys import channel_state_key
from storage.unit_of_work import UowFactory

log = logging.getLogger("feedbot")

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
EXIT_CONFIG = 2
EXIT_LEASE_HELD = 3
EXIT_UNREACHABLE = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="feedbot", description="Publish AI news from article files to Telegram."
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        type=Path,
        default=Path("config.yaml"),
        help="path to the YAML config (default: ./config.yaml)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run", parents=[common], help="run the bot: poll Telegram and publish on a schedule"
    )
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="ingest and select once, print the posts it would publish, send nothing (no token)",
    )
    commands.add_parser(
        "worker",
        parents=[common],
        help="one more delivery process beside `feedbot run` (PostgreSQL only)",
    )
    commands.add_parser("ingest", parents=[common], help="run one ingest pass and report")
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    db_commands.add_parser(
        "upgrade", parents=[common], help="bring the schema to the latest migration"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = load_config(args.config)
        webhook = config.telegram.webhook
        configure_logging(
            config.logging.level,
            secrets=(
                config.telegram.token or "",
                (webhook and webhook.secret_token) or "",
                *(secret for feed in config.feeds for secret in url_secrets(feed.url)),
            ),
        )
        if args.command == "run" and not args.dry_run:
            # Before the schema upgrade: a second instance must not touch a live database.
            lease = take_lease(config.database.url)
            log.info("lease taken on %s: no other instance can run on it", lease.where)
            try:
                upgrade_to_head(config.database.url)
                return _run(config, lease)
            finally:
                lease.release()
        if args.command == "worker":
            from bot.worker_process import run_worker

            return run_worker(config)
        upgrade_to_head(config.database.url)
        if args.command == "db":
            print(f"database is at the latest schema: {describe(config.database.url)}")
            return 0
        if args.command == "ingest":
            return asyncio.run(_ingest_once(config))
        return asyncio.run(_dry_run(config))
    except ConfigError as exc:
        print(f"feedbot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except LeaseError as exc:
        print(f"feedbot: {exc}", file=sys.stderr)
        return EXIT_LEASE_HELD if isinstance(exc, LeaseHeldError) else 1
    except (OperationalError, InterfaceError) as exc:
        first_line = str(exc.orig or exc).strip().splitlines()[0]
        print(
            f"feedbot: cannot reach the database at {describe(config.database.url)}: {first_line}",
            file=sys.stderr,
        )
        return 1


TOKEN_REJECTED = (
    "telegram.token: Telegram rejected the bot token (401 Unauthorized): it is mistyped or was "
    f"revoked; check {TOKEN_ENV} (or telegram.token), or get the current token from @BotFather"
)


def _run(config: Config, lease: Lease) -> int:
    from telegram.error import BadRequest, InvalidToken, NetworkError

    from bot.app import build_application
    from bot.runner import Runner

    application = build_application(config)
    try:
        code = Runner(application, config, lease, ALLOWED_UPDATES).run()
    except InvalidToken:
        raise ConfigError(TOKEN_REJECTED) from None
    except BadRequest:
        raise
    except NetworkError as exc:
        # Before the first update: getMe (or getChat) found no Bot API server answering.
        return api_unreachable(config, exc.message)
    log.info("feedbot stopped")
    return code


def api_unreachable(config: Config, error: str) -> int:
    """Say on stderr that no Bot API server answered (`error` with the token masked); the exit
    code for it."""
    token = config.telegram.token or ""

    def masked(text: str) -> str:
        return redact_tokens(text.replace(token, "<token>") if token else text)

    # a token pasted into the URL, as Bot API guides write theirs, is no less a secret
    print(
        f"feedbot: cannot reach the Telegram Bot API at "
        f"{masked(shown_url(config.telegram.api_base_url))} ({masked(error)}); check the "
        "network, or telegram.api_base_url",
        file=sys.stderr,
    )
    return EXIT_UNREACHABLE


def _print_report(report: IngestReport) -> None:
    print(
        f"ingest: {report.new} new, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(report.skipped)} skipped"
    )
    for path, reason in report.skipped:
        # a feed page's URL, which may carry the feed's credentials
        print(f"  skipped {shown_url(path)}: {reason}")


async def _ingest(uow: UowFactory, config: Config) -> IngestReport:
    """The pass `feedbot ingest` and the dry run make: every source, with a progress bar on a
    terminal."""
    from bot.progress import ingest_progress
    from bot.services import feed_specs

    return await ingest_sources(uow, config.folders, feed_specs(config), progress=ingest_progress())


async def _ingest_once(config: Config) -> int:
    from bot.app import make_uow

    engine = create_engine(config.database.url)
    try:
        report = await _ingest(make_uow(engine), config)
    finally:
        await engine.dispose()
    _print_report(report)
    return 0


async def _dry_run(config: Config) -> int:
    from bot.app import make_uow
    from bot.services import publish_rules

    engine = create_engine(config.database.url)
    try:
        uow = make_uow(engine)
        report = await _ingest(uow, config)
        async with uow() as tx:
            known = await tx.state.get(channel_state_key(config.telegram.channel))
        # Without a token the channel's id cannot be asked for; before the first real run
        # nothing has been posted anyway, and after it the id is remembered.
        channel_id = int(known) if known else 0
        selected = await select_articles(
            uow,
            publish_rules(config),
            channel_id,
            datetime.now(UTC),
            story_window=timedelta(hours=config.publish.story_window_hours),
        )
    finally:
        await engine.dispose()
    _print_report(report)
    print(f"dry run: {len(selected)} post(s) would go to {config.telegram.channel}; nothing sent")
    from bot.i18n import translator
    from bot.sender import post_words

    words = post_words(translator(config.telegram.language))  # as the channel will read them
    for number, article in enumerate(selected, 1):
        post = render_post(article, words=words)
        print(f"\n--- {number}/{len(selected)}: heat {article.heat} · {article.title}")
        print(f"link:  {post.link}")
        print(f"image: {post.photo_url or '(none: text message with a link preview)'}")
        print(post.html)
    return 0
