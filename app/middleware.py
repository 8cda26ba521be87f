"""Edge middleware: CORS for the widget's sites, and rate limits checked before any body is read."""

from __future__ import annotations

import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from sqlmodel import select
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.db import sessionmaker
from app.sites.models import Site

WIDGET_PREFIX = "/api/v1/widget/"
# Attachments are downloaded with the visitor's token from the host page too (app/files).
FILES_PREFIX = "/api/v1/files/"
SESSION_PATH = WIDGET_PREFIX + "session"


class SiteCORSMiddleware:
    """Lets the origins a site allows call the widget API (no cookies: tokens are bearer)."""

    def __init__(self, app: ASGIApp, ttl: float = 10.0) -> None:
        self.app = app
        self._ttl = ttl
        self._origins: set[str] = set()
        self._loaded = 0.0

    async def _allowed(self, origin: str) -> bool:
        if time.monotonic() - self._loaded > self._ttl:
            async with sessionmaker()() as s:
                sites = (await s.exec(select(Site))).all()
            self._origins = {o for site in sites for o in site.allowed_origins}
            self._loaded = time.monotonic()
        return origin in self._origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith((WIDGET_PREFIX, FILES_PREFIX)):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        # A page on an origin no site allows may still read the session call's answer:
        # the endpoint refuses it (403, "Origin … is not allowed for this site"), so the
        # widget stops with one console warning instead of retrying a call the browser
        # blocked. That grants nothing: the endpoint checks the origin against the site.
        readable = scope["path"] == SESSION_PATH
        if not origin or (not readable and not await self._allowed(origin)):
            if scope["method"] == "OPTIONS" and origin:
                await JSONResponse({"error": "Forbidden", "detail": "Origin not allowed."}, 403)(
                    scope, receive, send
                )
                return
            await self.app(scope, receive, send)
            return
        cors = {
            "access-control-allow-origin": origin,
            "vary": "Origin",
            "access-control-expose-headers": "Content-Type, Retry-After",
        }
        if scope["method"] == "OPTIONS":
            await Response(
                status_code=204,
                headers=cors
                | {
                    "access-control-allow-methods": "GET, POST, DELETE, OPTIONS",
                    "access-control-allow-headers": "Authorization, Content-Type, Last-Event-ID",
                    "access-control-max-age": "600",
                },
            )(scope, receive, send)
            return

        async def send_with_cors(message: dict) -> None:  # type: ignore[type-arg]
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                raw += [(k.encode(), v.encode()) for k, v in cors.items()]
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, send_with_cors)  # type: ignore[arg-type]


RULES: list[tuple[str, str, str]] = [
    # (method, path prefix, limit per client IP)
    ("POST", "/api/v1/auth/login", "10/minute"),
    ("POST", "/api/v1/widget/session", "60/minute"),
    ("POST", "/api/v1/widget/messages", "30/minute"),
    ("POST", "/api/v1/widget/offline-message", "10/minute"),
    ("POST", "/api/v1/widget/files", "20/minute"),
    ("POST", "/api/v1/widget/", "120/minute"),
    ("GET", "/api/v1/widget/", "120/minute"),
]


class RateLimitMiddleware:
    """429 before the body is read, per client address, in memory or Redis (shared)."""

    def __init__(self, app: ASGIApp, redis_url: str = "", enabled: bool = True) -> None:
        self.app = app
        self.enabled = enabled
        storage: Storage = (
            RedisStorage("async+" + redis_url, implementation="redispy")
            if redis_url
            else MemoryStorage()
        )
        self._limiter = MovingWindowRateLimiter(storage)
        self._rules: list[tuple[str, str, RateLimitItem]] = [
            (m, p, parse(limit)) for m, p, limit in RULES
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.enabled:
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        for m, prefix, item in self._rules:
            if method == m and path.startswith(prefix):
                client = (scope.get("client") or ("unknown", 0))[0]
                if not await self._limiter.hit(item, prefix, client):
                    resp = JSONResponse(
                        {"error": "TooManyRequests", "detail": "Slow down and try again shortly."},
                        429,
                        headers={"Retry-After": "10"},
                    )
                    await resp(scope, receive, send)
                    return
                break
        await self.app(scope, receive, send)


class SecurityHeadersMiddleware:
    """Headers every response carries; the console may not be framed by other sites."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
        ]
        if scope["path"].startswith("/console"):
            # img-src https: lets Settings → Widget preview the bot's avatar (an https URL
            # a lead chose). Visitor and article text never becomes an <img> in the console.
            extra += [
                (b"x-frame-options", b"DENY"),
                (
                    b"content-security-policy",
                    b"default-src 'self'; script-src 'self'; style-src 'self'; "
                    b"connect-src 'self'; img-src 'self' data: blob: https:; "
                    b"frame-ancestors 'none'",
                ),
            ]

        async def send_with_headers(message: dict) -> None:  # type: ignore[type-arg]
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)  # type: ignore[arg-type]
