"""Turning what Telegram sends into `Update`s one at a time, so that one the library cannot
parse is skipped (with one log line) instead of failing its whole getUpdates batch, and noticing
when Telegram stops accepting the token.

python-telegram-bot parses a batch in `Bot.get_updates` with one `Update.de_list`: one bad item
raises, the Updater never moves its offset, and asks for the same batch again at once, forever.
`FeedBot` is the library's own seam for that (an `ExtBot` subclass handed to
`ApplicationBuilder().bot(...)`): it fetches the batch as the library does and parses item by
item. The offset the Updater passes is raised past skipped items, so Telegram forgets them."""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
from collections.abc import Callable, Sequence
from typing import Any

from telegram import Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import JSONDict, ODVInput
from telegram.error import InvalidToken
from telegram.ext import ExtBot

log = logging.getLogger(__name__)


def parse_update(data: object, bot: ExtBot[Any]) -> Update | None:
    """The Update, or None (logged once, naming its update_id and the reason) when the library
    cannot make one of it."""
    update_id = data.get("update_id", "?") if isinstance(data, dict) else "?"
    try:
        if not isinstance(data, dict):
            raise TypeError("not a JSON object")
        update = Update.de_json(data, bot)
        if update is None:
            raise TypeError("empty")
        message = update.effective_message
        if message is not None and getattr(message, "chat", None) is None:
            # Telegram always sends one; the library lets it pass, every handler would trip
            raise TypeError("a message without a chat")
    except RecursionError:
        log.warning("skipped update %s: nested too deeply to read", update_id)
        return None
    except Exception as exc:  # whatever the library chokes on, the next update must still run
        name = type(exc).__name__
        log.warning("skipped update %s: cannot be parsed (%s: %s)", update_id, name, exc)
        return None
    bot.insert_callback_data(update)
    return update


class FeedBot(ExtBot[Any]):
    """ExtBot that parses getUpdates batches item by item and reports a rejected token once."""

    def __init__(
        self,
        *args: Any,
        on_token_rejected: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._skip_below = 0  # the offset must pass updates skipped at the end of a batch
        # underscored: the library freezes a bot's public attributes after __init__
        self._on_token_rejected = on_token_rejected
        self._token_rejected = False

    @property
    def token_rejected(self) -> bool:
        return self._token_rejected

    async def close_requests(self) -> None:
        """Close the HTTP transports, initialized or not: PTB's shutdown skips a bot whose
        initialize failed (getMe refused or unanswered at start), and their aiohttp sessions
        then end the process with "Unclosed client session" errors. Closing twice is a no-op.
        `_request` is PTB's own pair (getUpdates', everything else's): the library offers no
        public handle on the first."""
        for request in self._request:
            await request.shutdown()

    def when_token_rejected(self, callback: Callable[[], None]) -> None:
        """`callback` runs once, at the first request Telegram answers with 401."""
        self._on_token_rejected = callback

    async def get_updates(
        self,
        offset: int | None = None,
        limit: int | None = None,
        timeout: dtm.timedelta | float | None = None,  # noqa: ASYNC109 - the library's signature
        allowed_updates: Sequence[str] | None = None,
        *,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
        api_kwargs: JSONDict | None = None,
    ) -> tuple[Update, ...]:
        if self._token_rejected:
            # The process is stopping; the Updater's last confirming call would only log a
            # second traceback.
            return ()
        if self._skip_below and (offset is None or 0 <= offset < self._skip_below):
            offset = self._skip_below
        seconds = timeout.total_seconds() if isinstance(timeout, dtm.timedelta) else timeout
        if isinstance(read_timeout, float | int):
            total_read: float = read_timeout
        else:
            total_read = self._request[0].read_timeout or 0
        # As Bot.get_updates: a long poll may take its whole timeout before answering.
        total_read += seconds or 0
        data: JSONDict = {
            "timeout": timeout,
            "offset": offset,
            "limit": limit,
            "allowed_updates": allowed_updates,
        }
        try:
            result = await self._post(
                "getUpdates",
                data,
                read_timeout=total_read,
                write_timeout=write_timeout,
                connect_timeout=connect_timeout,
                pool_timeout=pool_timeout,
                api_kwargs=api_kwargs,
            )
        except InvalidToken:
            # Reported by _do_post; the Updater would log "Invalid token. Aborting retry loop."
            # with a traceback and end polling: wait for the stop instead.
            await asyncio.Event().wait()
            raise
        return self._parse_batch(result)

    def _parse_batch(self, result: Any) -> tuple[Update, ...]:
        items = result if isinstance(result, list) else []
        updates = []
        for item in items:
            update = parse_update(item, self)
            if update is not None:
                updates.append(update)
            if isinstance(item, dict) and isinstance(item.get("update_id"), int):
                self._skip_below = max(self._skip_below, item["update_id"] + 1)
        return tuple(updates)

    async def _do_post(self, endpoint: str, data: JSONDict, **kwargs: Any) -> Any:
        try:
            return await super()._do_post(endpoint, data, **kwargs)
        except InvalidToken:
            if not self._token_rejected:
                self._token_rejected = True
                if self._on_token_rejected is not None:
                    self._on_token_rejected()
            raise
