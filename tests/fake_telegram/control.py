"""An HTTP control surface for a fake running in another process (benchmarks): what tests do
with method calls on FakeTelegram, a benchmark does over /control/<action>."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from tests.fake_telegram.server import FakeTelegram


def add_control_routes(app: web.Application, fake: FakeTelegram) -> None:
    async def push_update(request: web.Request) -> web.Response:
        update = await request.json()
        update_id = fake.push_update(update)
        return web.json_response({"update_id": update_id, "time": fake.now()})

    async def push_updates(request: web.Request) -> web.Response:
        """Many at once, in order: a flood arrives in one getUpdates batch, not one per call."""
        updates = await request.json()
        ids = [fake.push_update(update) for update in updates]
        return web.json_response({"update_ids": ids, "time": fake.now()})

    async def add_chat(request: web.Request) -> web.Response:
        body: dict[str, Any] = await request.json()
        fake.add_chat(
            int(body["chat_id"]),
            body.get("type", "private"),
            title=body.get("title"),
            username=body.get("username"),
        )
        return web.json_response({"ok": True})

    async def stats(request: web.Request) -> web.Response:
        """Successful sends: count, first and last arrival; 429s; sends to one chat."""
        watch = request.query.get("chat_id")
        first, last = int(request.query.get("first", 0)), int(request.query.get("last", -1))
        sent = fake.sent()
        return web.json_response(
            {
                "sent": len(sent),
                "paid": sum(1 for c in sent if c.params.get("allow_paid_broadcast") is True),
                "first": sent[0].time if sent else None,
                "last": sent[-1].time if sent else None,
                "count_429": fake.count_429,
                "to_chat": [c.time for c in sent if watch and c.chat_id == int(watch)],
                "to_range": sum(1 for c in sent if c.chat_id and first <= c.chat_id <= last),
                "pending": len(fake.pending_updates()),
                "now": fake.now(),
            }
        )

    app.router.add_post("/control/push_update", push_update)
    app.router.add_post("/control/push_updates", push_updates)
    app.router.add_post("/control/add_chat", add_chat)
    app.router.add_get("/control/stats", stats)
