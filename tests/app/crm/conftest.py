"""Webhook fixtures: a real receiver, fast retries, a subscription of the demo site."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import pytest_asyncio

from tests.app.contacts.helpers import admin_headers, demo_site
from tests.app.crm.receiver import Receiver
from tests.conftest import RunningServer

FAST = {
    "webhook_backoff_seconds": 0.2,
    "webhook_backoff_max_seconds": 0.6,
    "webhook_max_attempts": 4,
    "webhook_poll_seconds": 0.1,
}


@pytest.fixture
def fast_webhooks(server: RunningServer) -> Iterator[None]:
    """Retry in tenths of a second (the worker reads these settings on every use)."""
    before = {k: getattr(server.settings, k) for k in FAST}
    for k, v in FAST.items():
        setattr(server.settings, k, v)
    yield
    for k, v in before.items():
        setattr(server.settings, k, v)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


@pytest_asyncio.fixture
async def subscription(
    server: RunningServer, receiver: Receiver, fast_webhooks: None
) -> AsyncIterator[dict[str, Any]]:
    """The demo site's subscription to every event, sent to the receiver."""
    async with server.client() as client:
        site_id, _ = await demo_site(server, client)
        headers = await admin_headers(client)
        r = await client.post(
            "/api/v1/webhooks/subscriptions",
            headers=headers,
            json={"site_id": site_id, "url": receiver.url, "description": "test"},
        )
        assert r.status_code == 201, r.text
        sub = r.json()
        yield sub
        await client.delete(f"/api/v1/webhooks/subscriptions/{sub['id']}", headers=headers)


async def eventually(check: Callable[[], Any], timeout: float = 20.0, what: str = "") -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.1)
