"""bot.transport's faults against the fake Bot API and misbehaving raw servers, over real HTTP:
every fault ends in the exception PTB's own HTTPXRequest ends in, timeouts included, the
errors keep their fields, and no failure shows the token."""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import telegram.error as tg
from telegram import Bot

from bot.lean_send import prepare_call, send_for_id
from bot.transport import POOL_TIMEOUT_MESSAGE, AiohttpRequest, redact_token
from tests.transport_rig import CHAT, GROUP, SUPERGROUP, TRANSPORTS, World, send, upload, world

__all__ = ["world"]  # the fixture, from tests.transport_rig


@dataclass(frozen=True)
class Seen:
    kind: type[BaseException] | None
    message: str | None = None
    retry_after: int | timedelta | None = None
    new_chat_id: int | None = None


Call = Callable[[World, str], Awaitable[Any]]
_CLIENT_TEXTS = ("httpx.", "aiohttp.")


def _via(root: str) -> Call:
    return lambda world, transport: send(world, transport, getattr(world, root))


# (name, set the fault up, make the call, the exception both transports must raise)
CASES: list[tuple[str, Callable[[World], None], Call, type[BaseException]]] = [
    ("429", lambda w: w.fake.rate_limit(CHAT, retry_after=7), send, tg.RetryAfter),
    (
        "group migrated",
        lambda w: w.fake.migrate_chat(GROUP, SUPERGROUP),
        lambda w, t: send(w, t, chat_id=GROUP),
        tg.ChatMigrated,
    ),
    ("blocked", lambda w: w.fake.block_chat(CHAT), send, tg.Forbidden),
    ("chat not found", lambda w: None, lambda w, t: send(w, t, chat_id=404404), tg.BadRequest),
    ("bad token", lambda w: None, lambda w, t: send(w, t, token="1:WRONG"), tg.InvalidToken),
    ("409", lambda w: w.fake.fail("sendMessage", status=409), send, tg.Conflict),
    ("502", lambda w: w.fake.server_error(status=502), send, tg.NetworkError),
    ("418", lambda w: w.fake.fail("sendMessage", status=418), send, tg.NetworkError),
    ("slow answer", lambda w: w.fake.delay_responses(1.5), send, tg.TimedOut),
    ("refused", lambda w: None, _via("refused_root"), tg.NetworkError),
    ("connect hangs", lambda w: None, _via("full_root"), tg.TimedOut),
    ("dropped", lambda w: None, lambda w, t: send(w, t, f"{w.raw_root}/drop"), tg.NetworkError),
    ("html 502", lambda w: None, lambda w, t: send(w, t, f"{w.raw_root}/html502"), tg.NetworkError),
    (
        "not json",
        lambda w: None,
        lambda w, t: send(w, t, f"{w.raw_root}/notjson"),
        tg.TelegramError,
    ),
    (
        "stalled upload",
        lambda w: None,
        lambda w, t: upload(w, t, f"{w.raw_root}/stall"),
        tg.TimedOut,
    ),
]


async def _outcome(
    world: World, setup: Callable[[World], None], call: Call, transport: str
) -> Seen:
    world.fake.clear_faults()
    setup(world)
    try:
        await call(world, transport)
    except tg.TelegramError as exc:
        return Seen(
            type(exc),
            # The texts of timeouts and connection failures name the client library.
            None
            if isinstance(exc, tg.TimedOut) or exc.message.startswith(_CLIENT_TEXTS)
            else exc.message,
            getattr(exc, "retry_after", None),
            getattr(exc, "new_chat_id", None),
        )
    return Seen(None)


@pytest.mark.parametrize(
    ("setup", "call", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_every_fault_maps_like_httpx(
    world: World, setup: Callable[[World], None], call: Call, expected: type[BaseException]
) -> None:
    by_httpx = await _outcome(world, setup, call, "httpx")
    by_aiohttp = await _outcome(world, setup, call, "aiohttp")
    assert by_httpx.kind is expected  # the table is right about PTB's own transport
    assert by_aiohttp == by_httpx


async def test_the_fields_of_errors_survive(world: World) -> None:
    world.fake.rate_limit(CHAT, retry_after=7)
    with pytest.raises(tg.RetryAfter) as retry:
        await send(world, "aiohttp")
    assert retry.value.retry_after in (7, timedelta(seconds=7))
    world.fake.migrate_chat(GROUP, SUPERGROUP)
    with pytest.raises(tg.ChatMigrated) as moved:
        await send(world, "aiohttp", chat_id=GROUP)
    assert moved.value.new_chat_id == SUPERGROUP
    world.fake.block_chat(CHAT)
    with pytest.raises(tg.Forbidden, match=r"(?i)bot was blocked by the user"):
        await send(world, "aiohttp")


async def test_a_timed_out_send_may_still_have_been_delivered(world: World) -> None:
    world.fake.delay_responses(1.0, "sendMessage")
    with pytest.raises(tg.TimedOut):
        await send(world, "aiohttp")
    assert len(world.fake.sent(CHAT)) == 1


async def test_a_per_call_read_timeout_overrides_the_default(world: World) -> None:
    world.fake.delay_responses(0.8, "sendMessage")
    message = await send(world, "aiohttp", read_timeout=5.0)
    assert message.message_id == world.fake.sent(CHAT)[-1].result["message_id"]


async def test_a_full_pool_times_out_without_sending(world: World) -> None:
    world.fake.delay_responses(1.0, "sendMessage")
    bot = Bot(
        world.fake.token,
        base_url=world.fake.base_url,
        request=AiohttpRequest(connection_pool_size=1, pool_timeout=0.2),
    )
    async with bot.request:
        first = asyncio.create_task(bot.send_message(CHAT, "first"))
        await world.fake.wait_for_async(lambda f: f.sent(CHAT), what="the first send")
        with pytest.raises(tg.TimedOut, match="Pool timeout"):
            await bot.send_message(CHAT, "second")
        await first
    assert [call.text for call in world.fake.sent(CHAT)] == ["first"]
    assert POOL_TIMEOUT_MESSAGE.startswith("Pool timeout")


async def test_failures_never_show_the_token(world: World) -> None:
    for root in (world.refused_root, world.full_root, f"{world.raw_root}/drop"):
        with pytest.raises(tg.NetworkError) as failure:
            await send(world, "aiohttp", root)
        shown = "".join(traceback.format_exception(failure.value))
        assert world.fake.token not in shown
        assert world.fake.token.split(":")[1] not in shown


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "Connection timeout to host http://h:1/bot123:SECRET/sendMessage",
            "Connection timeout to host http://h:1/bot<token>/sendMessage",
        ),
        ("url='http://h/bot1:A-b_c/getMe'", "url='http://h/bot<token>/getMe'"),
        ("Server disconnected", "Server disconnected"),
    ],
)
def test_redact_token(text: str, shown: str) -> None:
    assert redact_token(text) == shown


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_prepared_send_keeps_the_error_mapping(world: World, transport: str) -> None:
    call = prepare_call("sendMessage", {"text": "hi"}, read_timeout=0.3)
    bot = world.bot(transport)
    async with bot.request:
        world.fake.rate_limit(CHAT, retry_after=3)
        with pytest.raises(tg.RetryAfter):
            await send_for_id(bot, call, CHAT)
        world.fake.migrate_chat(GROUP, SUPERGROUP)
        with pytest.raises(tg.ChatMigrated):
            await send_for_id(bot, call, GROUP)
        with pytest.raises(tg.BadRequest, match=r"(?i)chat not found"):
            await send_for_id(bot, call, 404404)
        world.fake.delay_responses(1.0, "sendMessage")  # longer than the call's read timeout
        with pytest.raises(tg.TimedOut):
            await send_for_id(bot, call, CHAT)
