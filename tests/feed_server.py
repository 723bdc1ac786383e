"""A local HTTP server serving pages shaped like the site's JSON feed API: the fixture pages with
ETag and Last-Modified, 304s for conditional GETs, and faults on request; the rig of the JSON
feed tests."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

FIXTURES = Path(__file__).parent / "fixtures" / "feed"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
P1 = "/ai/api/news/index.json"
P2 = "/ai/api/news/page/2/index.json"
P3 = "/ai/api/news/page/3/index.json"
P4 = "/ai/api/news/page/4/index.json"  # page 3 points at it; it does not exist


@dataclass
class Seen:
    path: str
    if_none_match: str | None
    if_modified_since: str | None
    status: int


@dataclass
class Fault:
    status: int | None = None
    body: bytes | None = None
    hang: bool = False  # answer only when the test ends: the client must time out


@dataclass
class FeedServer:
    """Serves the fixture pages with ETag and Last-Modified, answers conditional GETs with 304,
    and misbehaves on request."""

    base: str = ""
    pages: dict[str, tuple[bytes, datetime]] = field(default_factory=dict)
    faults: dict[str, Fault] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str = P1) -> str:
        return self.base + path

    def set_page(self, path: str, document: Any) -> None:
        """Replace a page; it gets a new ETag and a later Last-Modified."""
        previous = self.pages.get(path)
        modified = previous[1] + timedelta(minutes=1) if previous else NOW - timedelta(hours=1)
        self.pages[path] = (json.dumps(document).encode(), modified)

    def document(self, path: str) -> Any:
        return json.loads(self.pages[path][0])

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        seen = Seen(
            request.path,
            request.headers.get("If-None-Match"),
            request.headers.get("If-Modified-Since"),
            0,
        )
        self.requests.append(seen)
        response = await self._answer(request)
        seen.status = response.status
        return response

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        fault = self.faults.get(request.path)
        if fault is not None and fault.hang:
            await self.release.wait()
        if fault is not None and fault.status is not None:
            return web.Response(status=fault.status, text="boom")
        if request.path not in self.pages:
            return web.Response(status=404, text="Not Found")
        body, modified = self.pages[request.path]
        if fault is not None and fault.body is not None:
            body = fault.body
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        headers = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True)}
        match = request.headers.get("If-None-Match")
        since = request.headers.get("If-Modified-Since")
        if match is not None:
            if match == etag:
                return web.Response(status=304, headers=headers)
        elif since is not None and parsedate_to_datetime(since) >= modified:
            return web.Response(status=304, headers=headers)
        return web.Response(body=body, content_type="application/json", headers=headers)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    feed = FeedServer()
    for path in (P1, P2, P3):
        feed.set_page(path, json.loads((FIXTURES / path.lstrip("/")).read_bytes()))
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", feed.handle)
    runner = web.AppRunner(app, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    feed.base = f"http://127.0.0.1:{port}"
    try:
        yield feed
    finally:
        feed.release.set()
        await runner.cleanup()
