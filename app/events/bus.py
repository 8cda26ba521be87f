"""Event bus: fans events out to SSE streams, in-process or across instances via Redis."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any, Protocol

log = logging.getLogger(__name__)

Event = dict[str, Any]


def visitor_channel(session_id: str) -> str:
    """Channel carrying the events of every conversation of one visitor session."""
    return f"visitor:{session_id}"


def site_channel(site_id: int) -> str:
    """Channel carrying every conversation event of a site (the agents' inbox)."""
    return f"site:{site_id}"


class Subscription(Protocol):
    """A live feed of events on some channels."""

    def __aiter__(self) -> AsyncIterator[Event]: ...

    async def close(self) -> None: ...


class EventBus(Protocol):
    """Publish/subscribe of JSON-able events by channel."""

    async def publish(self, channel: str, event: Event) -> None: ...

    async def subscribe(self, *channels: str) -> Subscription: ...

    async def close(self) -> None: ...


class _QueueSubscription:
    """A subscriber's bounded queue; a slow reader loses live events, never stored ones."""

    def __init__(self, bus: InProcessBus, channels: tuple[str, ...], maxsize: int = 1000) -> None:
        self._bus = bus
        self.channels = channels
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)
        self.overflowed = False

    def put(self, event: Event) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            # Stored events are replayed from the database on reconnect, so dropping is safe.
            self.overflowed = True

    async def __aiter__(self) -> AsyncIterator[Event]:  # type: ignore[override]
        while True:
            yield await self.queue.get()

    async def close(self) -> None:
        self._bus._remove(self)


class InProcessBus:
    """Fan-out inside one process: the embedded default."""

    def __init__(self) -> None:
        self._subs: dict[str, set[_QueueSubscription]] = defaultdict(set)

    async def publish(self, channel: str, event: Event) -> None:
        """Deliver to every local subscriber of the channel."""
        for sub in list(self._subs.get(channel, ())):
            sub.put(event)

    async def subscribe(self, *channels: str) -> Subscription:
        """Start receiving the channels' events."""
        sub = _QueueSubscription(self, channels)
        for ch in channels:
            self._subs[ch].add(sub)
        return sub

    def _remove(self, sub: _QueueSubscription) -> None:
        for ch in sub.channels:
            subs = self._subs.get(ch)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[ch]

    @property
    def subscriber_count(self) -> int:
        """Number of live subscriptions (for tests and metrics)."""
        return len({s for subs in self._subs.values() for s in subs})

    async def close(self) -> None:
        """Nothing to release."""
        self._subs.clear()


class RedisBus:
    """Fan-out across app instances through Redis pub/sub.

    One Redis connection per process reads every subscribed channel and hands events
    to the local in-process bus, so 10k SSE streams do not mean 10k Redis connections.
    """

    def __init__(self, url: str) -> None:
        import redis.asyncio as aioredis

        self._redis = aioredis.from_url(url, decode_responses=True)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._local = InProcessBus()
        self._refs: dict[str, int] = defaultdict(int)
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def publish(self, channel: str, event: Event) -> None:
        """Publish to every instance (including this one, via Redis)."""
        await self._redis.publish(channel, json.dumps(event, default=str))

    async def subscribe(self, *channels: str) -> Subscription:
        """Subscribe locally, and in Redis for channels not yet followed by this process."""
        sub = await self._local.subscribe(*channels)
        assert isinstance(sub, _QueueSubscription)
        async with self._lock:
            new = [ch for ch in channels if self._refs[ch] == 0]
            for ch in channels:
                self._refs[ch] += 1
            if new:
                await self._pubsub.subscribe(*new)
            if self._reader is None:
                self._reader = asyncio.create_task(self._read())
        return _RedisSubscription(self, sub)

    async def _release(self, sub: _QueueSubscription) -> None:
        self._local._remove(sub)
        async with self._lock:
            gone = []
            for ch in sub.channels:
                self._refs[ch] -= 1
                if self._refs[ch] <= 0:
                    del self._refs[ch]
                    gone.append(ch)
            if gone:
                await self._pubsub.unsubscribe(*gone)

    async def _read(self) -> None:
        while True:
            try:
                if not self._pubsub.subscribed:
                    await asyncio.sleep(0.05)
                    continue
                msg = await self._pubsub.get_message(timeout=1.0)
                if msg is None or msg.get("type") != "message":
                    continue
                await self._local.publish(msg["channel"], json.loads(msg["data"]))
            except asyncio.CancelledError:
                raise
            except Exception:  # keep the reader alive through a Redis blip
                log.exception("redis bus reader error")
                await asyncio.sleep(0.5)

    async def close(self) -> None:
        """Stop the reader and close connections."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()
        await self._redis.aclose()


class _RedisSubscription:
    def __init__(self, bus: RedisBus, sub: _QueueSubscription) -> None:
        self._bus = bus
        self._sub = sub

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._sub.__aiter__()

    async def close(self) -> None:
        await self._bus._release(self._sub)


_bus: EventBus | None = None


def make_bus(redis_url: str) -> EventBus:
    """The bus the settings ask for."""
    return RedisBus(redis_url) if redis_url else InProcessBus()


def get_bus() -> EventBus:
    """The process-wide bus."""
    global _bus
    if _bus is None:
        from app.config import get_settings

        _bus = make_bus(get_settings().redis_url)
    return _bus


def set_bus(bus: EventBus | None) -> None:
    """Replace the process-wide bus (app start-up and tests)."""
    global _bus
    _bus = bus
