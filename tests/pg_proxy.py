"""A TCP proxy in front of PostgreSQL that a test can cut and restore, to play a database
outage (a server restart, a dropped network) under a running bot.

`cut()` closes every open connection and stops listening, so new ones are refused the way a
stopped server refuses them; `restore()` listens again on the same port. `hang()` plays a server
that stops answering without closing anything. The proxy runs its own event loop in a thread,
so sync tests (a bot subprocess) and async tests can both use it."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, Self, TypeVar

T = TypeVar("T")

# One client connection: its writer, and the server-side writer once connected.
Link = tuple[asyncio.StreamWriter, ...]


class PgProxy:
    def __init__(self, target_host: str = "127.0.0.1", target_port: int = 5432) -> None:
        self._target = (target_host, target_port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._links: set[Link] = set()
        self._flowing = asyncio.Event()  # cleared while hanging; created here, used in the loop
        self._flowing.set()
        self.port = 0
        self.accepted = 0  # connections taken since start: a reconnect shows up here

    def __enter__(self) -> Self:
        self._thread.start()
        self._call(self._listen())
        return self

    def __exit__(self, *exc: object) -> None:
        self._call(self._close_all())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    @property
    def open_connections(self) -> int:
        return self._call(self._count())

    def cut(self) -> int:
        """Close every connection and refuse new ones; returns how many were closed."""
        return self._call(self._close_all())

    def restore(self) -> None:
        self._call(self._listen())

    def hang(self) -> None:
        """From now on accept connections but never forward a byte of them: a server that
        stopped answering without closing anything (a frozen host). Ends with cut()."""
        self._loop.call_soon_threadsafe(self._flowing.clear)

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    async def _count(self) -> int:
        return len(self._links)

    async def _listen(self) -> None:
        if self._server is None:
            # Same port after a cut: the bot's URL does not change across a server restart.
            self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
            self.port = self._server.sockets[0].getsockname()[1]

    async def _close_all(self) -> int:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        closed = len(self._links)
        for link in list(self._links):
            for writer in link:
                # abort: no graceful FIN handshake to wait for, like a server process that died.
                writer.transport.abort()
        self._links.clear()
        self._flowing.set()
        if server is not None:
            await server.wait_closed()  # after the aborts: since 3.12 it waits for connections
        return closed

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if not self._flowing.is_set():
            self._links.add((client_w,))  # held open, never answered, until cut()
            return
        try:
            server_r, server_w = await asyncio.open_connection(*self._target)
        except OSError:
            client_w.transport.abort()
            return
        link = (client_w, server_w)
        self._links.add(link)
        await asyncio.gather(
            self._pipe(client_r, server_w), self._pipe(server_r, client_w), return_exceptions=True
        )
        self._links.discard(link)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                await self._flowing.wait()  # a frozen server: bytes in flight go nowhere
                sink.write(data)
                await sink.drain()
        finally:
            # One side ended: end the other, or the pair lingers half-open.
            with contextlib.suppress(Exception):
                sink.close()
