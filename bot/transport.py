"""python-telegram-bot's HTTP transport over aiohttp.

PTB's default transport (httpx) costs about three times the CPU per Bot API call of an aiohttp
POST on this machine, and a broadcast is nothing but Bot API calls. PTB's ``BaseRequest`` keeps
the part that matters to the bot: the HTTP status and ``parameters`` of an answer become the same
RetryAfter, ChatMigrated, Forbidden, BadRequest, InvalidToken and NetworkError as with httpx.
This class only moves bytes and turns aiohttp's failures into TimedOut and NetworkError the way
``HTTPXRequest`` turns httpx's.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, Final, cast

import aiohttp
import orjson
from aiohttp.helpers import get_env_proxy_for_url
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import JSONDict, ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

_Proxy = tuple[URL | None, aiohttp.BasicAuth | None]

_FORM_HEADERS: Final = {"Content-Type": "application/x-www-form-urlencoded"}
POOL_TIMEOUT_MESSAGE: Final = (
    "Pool timeout: All connections in the connection pool are occupied. Request was *not* sent "
    "to Telegram. Consider adjusting the connection pool size or the pool timeout."
)
# aiohttp puts the request URL, and so the bot token, into some of its error texts.
_TOKEN_IN_URL = re.compile(r"/bot[^/\s'\"]+/")


class EncodedForm:
    """Stands in for PTB's RequestData (a final class) on the way from ``post_form`` through
    BaseRequest's mapping to ``do_request``: a body that needs no encoding."""

    __slots__ = ("form",)
    contains_files: Final = False

    def __init__(self, form: bytes) -> None:
        self.form = form


def redact_token(text: str) -> str:
    return _TOKEN_IN_URL.sub("/bot<token>/", text)


def _describe(error: BaseException) -> str:
    text = redact_token(str(error))
    name = f"aiohttp.{type(error).__name__}" if isinstance(error, aiohttp.ClientError) else ""
    name = name or type(error).__name__
    return f"{name}: {text}" if text else name


class AiohttpRequest(BaseRequest):
    """A ``BaseRequest`` with HTTPXRequest's parameters and defaults.

    The pool timeout is kept by a semaphore in front of aiohttp's connector, so a request that
    finds every connection busy fails as TimedOut before anything is sent, as with httpx.
    aiohttp has no timeout per socket write: the write timeout bounds the whole request instead
    (connect + write + read), which is what a stalled upload needs. A body encoded beforehand
    (``post_form``, a broadcast send: small, written at once) is bounded by its read timeout
    alone, from start to answer, instead of a read timeout per chunk. Proxies come from the
    environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY, ...) as with httpx, looked up once per
    server: aiohttp's own ``trust_env`` reads the environment and ~/.netrc on every request.
    """

    __slots__ = (
        "_connect_timeout",
        "_media_write_timeout",
        "_pool",
        "_pool_size",
        "_pool_timeout",
        "_proxies",
        "_read_timeout",
        "_session",
        "_timeouts",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._pool: asyncio.Semaphore | None = None
        self._timeouts: dict[tuple[float | None, float | None, float | None], aiohttp.ClientTimeout]
        self._timeouts = {}
        self._proxies: dict[str, _Proxy] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    @staticmethod
    def parse_json_payload(payload: bytes) -> JSONDict:
        """Telegram's answer, read by orjson (PTB's documented way to bring a JSON library):
        for a broadcast send's answer, about 3 µs against the standard library's 7 on this
        machine. What orjson refuses (bytes that are not UTF-8, numbers beyond 64 bits, NaN)
        goes through PTB's own reading, which replaces bad bytes, accepts the rest and turns
        what is no JSON at all into the same TelegramError."""
        try:
            parsed = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return BaseRequest.parse_json_payload(payload)
        return cast(JSONDict, parsed)

    async def initialize(self) -> None:
        if self._session is not None and not self._session.closed:
            return
        self._pool = asyncio.Semaphore(self._pool_size)
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self._pool_size),
            headers={"User-Agent": self.USER_AGENT},
            # The Bot API sets no cookies; the default jar costs ~15 % of a call's CPU.
            cookie_jar=aiohttp.DummyCookieJar(),
            # Every request passes its own ClientTimeout; this is only the fallback.
            timeout=self._client_timeout(
                self._connect_timeout, self._write_timeout, self._read_timeout
            ),
        )

    async def shutdown(self) -> None:
        if self._session is None or self._session.closed:
            return
        await self._session.close()

    def _client_timeout(
        self, connect: float | None, write: float | None, read: float | None
    ) -> aiohttp.ClientTimeout:
        key = (connect, write, read)
        timeout = self._timeouts.get(key)
        if timeout is None:
            total = None if None in key else sum(v for v in key if v is not None)
            timeout = aiohttp.ClientTimeout(
                total=total, connect=connect, sock_connect=connect, sock_read=read
            )
            self._timeouts[key] = timeout
        return timeout

    def _exchange_timeout(self, connect: float | None, read: float | None) -> aiohttp.ClientTimeout:
        """For a small body encoded beforehand (post_form: written at once): the read timeout
        bounds the whole exchange. One timer per request; aiohttp's sock_read would set one,
        then cancel and set it again for every chunk read, a tenth of a broadcast send's CPU."""
        key = (connect, -1.0, read)  # -1: no write timeout, unlike any _client_timeout key
        timeout = self._timeouts.get(key)
        if timeout is None:
            timeout = aiohttp.ClientTimeout(total=read, connect=connect, sock_connect=connect)
            self._timeouts[key] = timeout
        return timeout

    def _proxy(self, url: str) -> _Proxy:
        origin = url[: url.find("/", url.find("//") + 2)]
        found = self._proxies.get(origin)
        if found is None:
            try:
                found = get_env_proxy_for_url(URL(origin))
            except LookupError:  # none set, or NO_PROXY names the host
                found = (None, None)
            self._proxies[origin] = found
        return found

    async def post_form(
        self, url: str, form: bytes, *, read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE
    ) -> Any:
        """``post`` for a form body encoded beforehand (bot.lean_send encodes a broadcast's
        shared fields once, not once per chat); the answer goes through the same mapping."""
        payload = await self._request_wrapper(
            url,
            "POST",
            request_data=cast(RequestData, EncodedForm(form)),
            read_timeout=read_timeout,
        )
        return self.parse_json_payload(payload)["result"]

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session, pool = self._session, self._pool
        if session is None or session.closed or pool is None:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data is not None and request_data.contains_files
        if isinstance(write_timeout, DefaultValue):
            write_timeout = self._media_write_timeout if files else self._write_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        if isinstance(request_data, EncodedForm):
            timeout = self._exchange_timeout(connect, read)
        else:
            timeout = self._client_timeout(connect, write_timeout, read)
        if pool.locked():
            wait = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
            await _acquire(pool, wait)
        else:
            await pool.acquire()  # does not suspend: a connection is free
        try:
            proxy = self._proxy(url)
            return await _send(session, method, url, request_data, files, timeout, proxy)
        finally:
            pool.release()


async def _acquire(pool: asyncio.Semaphore, wait: float | None) -> None:
    try:
        async with asyncio.timeout(wait):
            await pool.acquire()
    except TimeoutError:
        raise TimedOut(POOL_TIMEOUT_MESSAGE) from None


async def _send(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    request_data: RequestData | None,
    files: bool,
    limits: aiohttp.ClientTimeout,
    proxy: _Proxy,
) -> tuple[int, bytes]:
    data: aiohttp.FormData | bytes | None = None
    headers = None
    if isinstance(request_data, EncodedForm):
        data, headers = request_data.form, _FORM_HEADERS
    elif request_data is not None:
        if files:
            data = _multipart(request_data)
        else:
            data = request_data.url_encoded_parameters().encode()
            headers = _FORM_HEADERS
    # The chained aiohttp error is dropped (`from None`): its text and its traceback may carry
    # the request URL, which holds the bot token, and a handler's error is logged with both.
    try:
        async with session.request(
            method,
            url,
            data=data,
            headers=headers,
            timeout=limits,
            proxy=proxy[0],
            proxy_auth=proxy[1],
        ) as response:
            return response.status, await response.read()
    except TimeoutError as exc:  # aiohttp's own timeouts are TimeoutErrors too
        raise TimedOut(f"Timed out ({_describe(exc)})") from None
    except aiohttp.ClientError as exc:
        raise NetworkError(_describe(exc)) from None


def _multipart(request_data: RequestData) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form
