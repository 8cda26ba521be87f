"""A small SSE reader for tests, over a real HTTP connection."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class SSEEvent:
    """One parsed frame."""

    event: str
    data: Any
    id: str | None


class SSEReader:
    """Reads a stream in the background into a queue the test can await on."""

    def __init__(self, client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> None:
        self.client, self.path, self.headers = client, path, headers
        self.queue: asyncio.Queue[SSEEvent] = asyncio.Queue()
        self.status: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._opened = asyncio.Event()
        self.seen: list[SSEEvent] = []

    async def __aenter__(self) -> SSEReader:
        self._task = asyncio.create_task(self._run())
        await asyncio.wait_for(self._opened.wait(), 10)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task

    async def _run(self) -> None:
        async with self.client.stream("GET", self.path, headers=self.headers, timeout=None) as resp:
            self.status = resp.status_code
            self._opened.set()
            async for ev in parse(resp.aiter_lines()):
                await self.queue.put(ev)

    async def next(self, type_: str | None = None, timeout: float = 20) -> SSEEvent:
        """The next event (of a type, skipping others)."""

        async def _get() -> SSEEvent:
            while True:
                ev = await self.queue.get()
                self.seen.append(ev)
                if type_ is None or ev.event == type_:
                    return ev

        return await asyncio.wait_for(_get(), timeout)

    async def until(self, pred: Any, timeout: float = 30) -> list[SSEEvent]:
        """All events up to and including the first that satisfies pred."""
        seen: list[SSEEvent] = []

        async def _get() -> list[SSEEvent]:
            while True:
                ev = await self.queue.get()
                seen.append(ev)
                self.seen.append(ev)
                if pred(ev):
                    return seen

        return await asyncio.wait_for(_get(), timeout)


async def parse(lines: AsyncIterator[str]) -> AsyncIterator[SSEEvent]:
    """Frames from SSE lines (comments skipped)."""
    event, data, id_ = "message", [], None
    async for line in lines:
        if line == "":
            if data:
                raw = "\n".join(data)
                try:
                    value: Any = json.loads(raw)
                except ValueError:
                    value = raw
                yield SSEEvent(event, value, id_)
            event, data, id_ = "message", [], None
            continue
        if line.startswith(":"):
            continue
        field, _, value_s = line.partition(":")
        value_s = value_s[1:] if value_s.startswith(" ") else value_s
        if field == "event":
            event = value_s
        elif field == "data":
            data.append(value_s)
        elif field == "id":
            id_ = value_s
