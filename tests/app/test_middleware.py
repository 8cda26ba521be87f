"""Rate limits answer 429 before the body is read; CORS and security headers."""

from __future__ import annotations

import uuid

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from app.middleware import RateLimitMiddleware, SecurityHeadersMiddleware
from tests.conftest import REDIS_URL


class Downstream:
    """The app behind the middleware: counts the requests whose body it read."""

    def __init__(self) -> None:
        self.bodies_read = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        self.bodies_read += 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


@pytest.mark.parametrize("redis", [False, True], ids=["memory", "redis"])
async def test_login_is_limited_before_the_body_is_read(redis: bool) -> None:
    inner = Downstream()
    mw = RateLimitMiddleware(inner, redis_url=REDIS_URL if redis else "")
    # A fresh client address per run keeps Redis counters of earlier runs out of the way.
    ip = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"
    transport = httpx.ASGITransport(app=mw, client=(ip, 1234))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        codes = [
            (
                await c.post("/api/v1/auth/login", json={"email": "a@b.c", "password": "x"})
            ).status_code
            for _ in range(12)
        ]
        assert codes[:10] == [200] * 10
        assert codes[10:] == [429, 429]
        assert inner.bodies_read == 10
        r = await c.post("/api/v1/auth/login", json={})
        assert r.json()["error"] == "TooManyRequests" and "retry-after" in r.headers
        # Other paths are not affected by the login limit.
        assert (await c.get("/healthz")).status_code == 200


async def test_security_headers_on_every_response() -> None:
    mw = SecurityHeadersMiddleware(Downstream())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=mw), base_url="http://t") as c:
        r = await c.get("/console")
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        r = await c.get("/widget/loader.js")
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "x-frame-options" not in r.headers
