"""`feedbot worker`: one more delivery process on a PostgreSQL database. It only drains the
outbox (jobs.delivery with SharedClaims); `feedbot run` keeps the lease, the updates and the
schedule, and delivers too, as one of the workers."""

from __future__ import annotations

import asyncio
import logging
import signal

from telegram.error import InvalidToken, NetworkError

from bot.app import make_bot, make_delivery_worker, make_gate, make_sender, make_uow
from bot.config import Config, ConfigError
from storage.database import HEAD_REVISION, create_engine, is_postgres, schema_revision
from storage.lease import describe

log = logging.getLogger(__name__)

SCHEMA_POLL_SECONDS = 2.0


def refuse_unless_postgres(config: Config) -> None:
    if not is_postgres(config.database.url):
        raise ConfigError(
            f"database.url: `feedbot worker` needs PostgreSQL, and {describe(config.database.url)}"
            " is SQLite: extra delivery workers coordinate through the database (row locks, chat"
            " leases, heartbeats), which SQLite cannot share between processes. On SQLite,"
            " `feedbot run` delivers alone"
        )


def run_worker(config: Config) -> int:
    """Blocks until SIGINT/SIGTERM; exit 0 once everything claimed is written or handed back.
    Exit codes as `feedbot run`'s (bot.cli)."""

    from bot.cli import TOKEN_REJECTED, api_unreachable

    refuse_unless_postgres(config)
    try:
        return asyncio.run(_work(config))
    except InvalidToken:
        raise ConfigError(TOKEN_REJECTED) from None
    except NetworkError as exc:  # getMe at start found no Bot API server answering
        return api_unreachable(config, exc.message)


async def _wait_for_schema(config: Config, stopping: asyncio.Event) -> bool:
    # The schema is `feedbot run`'s to upgrade (it holds the lease): two processes migrating
    # at once would collide. A worker started beside it waits.
    said = False
    while (revision := await asyncio.to_thread(schema_revision, config.database.url)) != (
        HEAD_REVISION
    ):
        if not said:
            log.info(
                "waiting for the schema on %s to reach %s (now %s): start `feedbot run` or run"
                " `feedbot db upgrade`",
                describe(config.database.url),
                HEAD_REVISION,
                revision or "none, or the database is unreachable",
            )
            said = True
        try:
            await asyncio.wait_for(stopping.wait(), SCHEMA_POLL_SECONDS)
            return False
        except TimeoutError:
            pass
    return True


async def _work(config: Config) -> int:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    if not await _wait_for_schema(config, stopping):
        return 0
    gate = make_gate(config)
    bot = make_bot(config, gate)
    engine = create_engine(config.database.url)
    try:
        await bot.initialize()  # getMe: a wrong token fails here, before anything is claimed
        uow = make_uow(engine)
        sender = make_sender(config, bot)
        worker = make_delivery_worker(config, uow, sender, gate, "worker")
        await worker.prepare()
        task = asyncio.create_task(worker.run(), name="delivery-worker")
        stop = asyncio.create_task(stopping.wait())
        await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        await worker.stop()
        stop.cancel()
        await task
        if bot.token_rejected:
            # The worker halted at the first 401, handing back what it held (as `run` does).
            raise InvalidToken("Unauthorized")
    finally:
        await bot.shutdown()
        await engine.dispose()
    log.info("feedbot worker stopped")
    return 0
