"""pytest fixtures for the fake; tests/conftest.py imports them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fake_telegram.server import FakeTelegram


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    """A started FakeTelegram with Telegram's rate limits, stopped after the test.

    Fails the test if the fake itself crashed on a request (it answered those with a 500, which
    a bot would take for a transient Telegram error and retry).
    """
    fake = FakeTelegram().start()
    try:
        yield fake
    finally:
        fake.stop()
    if fake.internal_errors:
        pytest.fail("the fake Telegram failed on a request:\n" + "\n".join(fake.internal_errors))
