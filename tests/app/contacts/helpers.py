"""Helpers for contacts tests: the demo site's id and identity secret, signed identities."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import httpx
import jwt

from tests.app.helpers import agent_token
from tests.conftest import RunningServer


async def admin_headers(client: httpx.AsyncClient) -> dict[str, str]:
    """An admin's Authorization header."""
    return {"Authorization": f"Bearer {await agent_token(client)}"}


async def demo_site(server: RunningServer, client: httpx.AsyncClient) -> tuple[int, str]:
    """(id, identity secret) of the demo site."""
    headers = await admin_headers(client)
    sites = (await client.get("/api/v1/sites", headers=headers)).json()
    (site,) = [s for s in sites if s["key"] == server.settings.demo_site_key]
    r = await client.get(f"/api/v1/sites/{site['id']}/identity-secret", headers=headers)
    r.raise_for_status()
    return int(site["id"]), str(r.json()["identity_secret"])


def signature(secret: str, user_id: str) -> str:
    """The documented recipe: hex HMAC-SHA256 of the user id."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def identity_jwt(secret: str, user_id: str, ttl: int = 600, **claims: Any) -> str:
    """The documented recipe: an HS256 JWT with sub and exp."""
    now = int(time.time())
    return jwt.encode({"sub": user_id, "iat": now, "exp": now + ttl, **claims}, secret, "HS256")
