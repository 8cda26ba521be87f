"""Closed SSE streams give everything back: bus subscriptions, tasks, DB connections.

Hundreds of widgets open and close their stream against the real server (same process,
so the bus and the event loop can be inspected): held ones, and ones closed right after
the headers while the server still replays from the database (a reload, a ramp). Once
they are gone the server must look as it did before: otherwise a day of reconnects
leaks memory, Redis channels and connections until the process falls over.
"""

from __future__ import annotations

import asyncio
import gc
import traceback
import weakref
from pathlib import Path
from typing import Any

import app
from app.conversations import service
from app.db import get_engine
from app.events.bus import RedisBus, get_bus
from app.events.service import unit_of_work
from app.visitors.models import VisitorSession
from bench.client import SSEStream, open_stream, stream_request
from tests.app.helpers import Visitor, agent_token
from tests.conftest import RunningServer

N = 200  # streams per wave


def _bus_state() -> dict[str, int]:
    bus = get_bus()
    state = {"subscribers": getattr(bus, "subscriber_count", 0)}
    if isinstance(bus, RedisBus):
        state["redis channels"] = bus.redis_channels
    return state


# Where tasks that serve a request are started from (uvicorn's cycle, sse-starlette's
# task group, the streams themselves); the app's workers start theirs elsewhere.
_APP = Path(app.__file__).parent
_SERVING = (
    "site-packages/uvicorn/protocols/",
    "site-packages/sse_starlette/",
    "site-packages/starlette/",
    f"{_APP / 'events'}/",
    f"{_APP / 'agents'}/",
)


class _TaskOrigins:
    """Remembers which tasks were started while serving requests (a task factory)."""

    def __init__(self) -> None:
        self.serving: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()

    def __call__(
        self, loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any
    ) -> asyncio.Task[Any]:
        task = asyncio.Task(coro, loop=loop, **kwargs)
        files = [f.filename for f in traceback.extract_stack(limit=40)]
        if any(p in f for f in files for p in _SERVING):
            self.serving.add(task)
        return task

    def pending(self) -> list[str]:
        return sorted(t.get_coro().__qualname__ for t in self.serving if not t.done())  # type: ignore[union-attr]


async def _settled(origins: _TaskOrigins, bus0: dict[str, int]) -> dict[str, Any]:
    """Wait (bounded) for the server to tear the streams down; returns what is left."""
    left: dict[str, Any] = {}
    for _ in range(200):
        await asyncio.sleep(0.1)
        left = {
            "tasks": origins.pending(),
            "bus": _bus_state(),
            "checked out connections": get_engine().pool.checkedout(),  # type: ignore[attr-defined]
        }
        if not left["tasks"] and left["bus"] == bus0 and not left["checked out connections"]:
            break
    return left


async def test_closed_streams_leave_no_subscription_task_or_connection(
    server: RunningServer,
) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    async with server.client() as client:
        # Visitors with a conversation (their stream replays it) and without (it waits).
        tokens: list[str] = []
        for i in range(N):
            v = Visitor(server, client)
            await v.start()
            assert v.token is not None
            tokens.append(v.token)
            if i % 2 == 0:
                async with unit_of_work() as s:
                    vs = await s.get(VisitorSession, v.session["session_id"])
                    assert vs is not None
                    await service.start(s, vs)
        requests = [stream_request(port, t, server.host_origin) for t in tokens]
        token = await agent_token(client)
        console = (
            f"GET /api/v1/agent/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
        ).encode()

        # A warm-up stream starts what lives once per process (sse-starlette's watcher).
        warm, _ = await open_stream(port, requests[0])
        warm.close()
        await asyncio.sleep(0.5)

        destroyed: list[str] = []
        loop = asyncio.get_running_loop()
        previous = loop.get_exception_handler()

        def handler(lp: asyncio.AbstractEventLoop, ctx: dict[str, Any]) -> None:
            destroyed.append(str(ctx.get("message")))
            lp.default_exception_handler(ctx)

        origins = _TaskOrigins()
        factory = loop.get_task_factory()
        loop.set_exception_handler(handler)
        loop.set_task_factory(origins)
        try:
            bus0 = _bus_state()

            # Wave 1: every stream held open (subscribed), then dropped at once.
            held: list[SSEStream] = [
                st for st, _ in await asyncio.gather(*(open_stream(port, r) for r in requests))
            ]
            assert all(st.status == 200 for st in held)
            for _ in range(100):  # until every stream has subscribed
                if _bus_state()["subscribers"] >= bus0["subscribers"] + N:
                    break
                await asyncio.sleep(0.1)
            assert _bus_state()["subscribers"] == bus0["subscribers"] + N
            for st in held:
                st.close()
            left = await _settled(origins, bus0)
            assert left == {"tasks": [], "bus": bus0, "checked out connections": 0}, left

            # Wave 2: a reconnect storm: each stream closed as soon as its headers arrive,
            # while the server is subscribing and replaying from the database.
            async def flash(req: bytes) -> None:
                st, _ = await open_stream(port, req)
                st.close()

            await asyncio.gather(*(flash(r) for r in requests))
            # And agents' consoles (their stream also marks them seen while open).
            consoles = [
                st
                for st, _ in await asyncio.gather(*(open_stream(port, console) for _ in range(20)))
            ]
            assert all(st.status == 200 for st in consoles)
            await asyncio.sleep(0.5)
            for st in consoles:
                st.close()
            left = await _settled(origins, bus0)
            assert left == {"tasks": [], "bus": bus0, "checked out connections": 0}, left

            gc.collect()  # a task dropped while pending is reported when collected
            await asyncio.sleep(0)
            assert not [m for m in destroyed if "destroyed" in m], destroyed
        finally:
            loop.set_task_factory(factory)
            loop.set_exception_handler(previous)


async def test_idle_streams_send_heartbeats(server: RunningServer) -> None:
    """An idle stream still sends a comment line every ``sse_ping_seconds`` (5 s here): proxies
    keep it open, and the widget's and console's watchdogs (45 s) do not reconnect."""
    async with server.client() as client:
        v = Visitor(server, client)
        await v.start()
        agent = {"Authorization": f"Bearer {await agent_token(client)}"}
        for path, headers in (
            ("/api/v1/widget/stream", v.headers),
            ("/api/v1/agent/stream", agent),
        ):
            async with client.stream("GET", path, headers=headers, timeout=None) as resp:
                assert resp.status_code == 200

                async def first_comment(lines: Any) -> str:
                    async for line in lines:
                        if line.startswith(":"):
                            return str(line)
                    return ""

                # Nothing happens on these streams: whatever arrives is the heartbeat.
                comment = await asyncio.wait_for(first_comment(resp.aiter_lines()), 30)
                assert comment.startswith(": ping"), (path, comment)
