"""Setting a site's business hours from tests, through the console API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.conftest import RunningServer

# Never open: every day closed (no next opening).
ALWAYS_CLOSED: dict[str, Any] = {"timezone": "UTC", "days": {}}
# Open around the clock, every day.
ALWAYS_OPEN: dict[str, Any] = {
    "timezone": "UTC",
    "days": {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
}


def opens_later(now: datetime | None = None) -> dict[str, Any]:
    """Closed now, open for an hour starting two hours from now (every day, UTC)."""
    hour = ((now or datetime.now(UTC)).hour + 2) % 24
    end = "24:00" if hour == 23 else f"{hour + 1:02d}:00"
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    return {"timezone": "UTC", "days": {d: [[f"{hour:02d}:00", end]] for d in days}}


async def demo_site_id(
    server: RunningServer, client: httpx.AsyncClient, auth: dict[str, str]
) -> int:
    """The id of the seeded demo site."""
    sites = (await client.get("/api/v1/sites", headers=auth)).json()
    return next(s["id"] for s in sites if s["key"] == server.settings.demo_site_key)


@asynccontextmanager
async def site_hours(
    server: RunningServer,
    client: httpx.AsyncClient,
    auth: dict[str, str],
    hours: dict[str, Any] | None,
) -> AsyncIterator[int]:
    """Give the demo site these hours for the block, then make it always open again."""
    site_id = await demo_site_id(server, client, auth)
    path = f"/api/v1/sites/{site_id}/business-hours"
    r = await client.put(path, headers=auth, json={"business_hours": hours})
    assert r.status_code == 200, r.text
    try:
        yield site_id
    finally:
        await client.put(path, headers=auth, json={"business_hours": None})
