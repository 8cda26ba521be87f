"""Helpers for driving the API as a widget and as an agent."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, RunningServer

UA_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)


class Visitor:
    """A visitor on the demo host page, talking to the widget API."""

    def __init__(self, server: RunningServer, client: httpx.AsyncClient) -> None:
        self.server = server
        self.client = client
        self.origin = server.host_origin
        self.token: str | None = None
        self.session: dict[str, Any] = {}

    @property
    def headers(self) -> dict[str, str]:
        h = {"Origin": self.origin}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        return h

    async def start(
        self, url: str = "/pricing?utm_source=newsletter&utm_campaign=spring"
    ) -> dict[str, Any]:
        r = await self.client.post(
            "/api/v1/widget/session",
            headers=self.headers,
            json={
                "site_key": self.server.settings.demo_site_key,
                "context": {
                    "url": f"{self.origin}{url}",
                    "title": "Pricing — Northwind",
                    "referrer": "https://news.example.org/",
                    "language": "en-GB",
                    "timezone": "Europe/London",
                    "user_agent": UA_IPHONE,
                    "screen": "390x844",
                },
            },
        )
        r.raise_for_status()
        self.session = r.json()
        self.token = self.session["token"]
        return self.session

    async def say(self, text: str, client_message_id: str | None = None) -> httpx.Response:
        return await self.client.post(
            "/api/v1/widget/messages",
            headers=self.headers,
            json={"client_message_id": client_message_id or str(uuid.uuid4()), "text": text},
        )


async def agent_token(client: httpx.AsyncClient) -> str:
    r = await client.post(
        "/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    r.raise_for_status()
    return str(r.json()["access_token"])
