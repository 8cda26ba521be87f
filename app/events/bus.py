"""Event bus: fans events out to SSE streams, in-process or across instances via Redis."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict, deque
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

    @property
    def closed(self) -> bool: ...

    async def next(self, idle: float | None = None) -> Event | None:
        """The next event; None after ``idle`` seconds without one, or once closed."""

    def release(self) -> None:
        """Stop receiving, synchronously: nothing to await, so nothing to cancel."""

    async def close(self) -> None: ...


class EventBus(Protocol):
    """Publish/subscribe of JSON-able events by channel."""

    async def publish(self, channel: str, event: Event) -> None: ...

    async def subscribe(self, *channels: str) -> Subscription: ...

    async def close(self) -> None: ...


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class _QueueSubscription:
    """A subscriber's bounded queue; a slow reader loses live events, never stored ones.

    Lean on purpose (one per open SSE stream, 10k per process): the buffer exists only
    while events wait, and one future is the only waiter. Closing is synchronous, so a
    stream torn down by a cancelled task always leaves the bus.
    """

    __slots__ = ("_bus", "channels", "maxsize", "overflowed", "closed", "_items", "_waiter")

    def __init__(self, bus: InProcessBus, channels: tuple[str, ...], maxsize: int = 1000) -> None:
        self._bus = bus
        self.channels = channels
        self.maxsize = maxsize
        self.overflowed = False
        self.closed = False
        self._items: deque[Event] | None = None
        self._waiter: asyncio.Future[None] | None = None

    def put(self, event: Event) -> None:
        if self.closed:
            return
        if self._items is None:
            self._items = deque()
        if len(self._items) >= self.maxsize:
            # Stored events are replayed from the database on reconnect, so dropping is safe.
            self.overflowed = True
            return
        self._items.append(event)
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None:
            _wake(self._waiter)

    def __aiter__(self) -> _QueueSubscription:
        return self

    async def __anext__(self) -> Event:
        while (event := await self.next()) is None:
            if self.closed:
                raise StopAsyncIteration
        return event

    async def next(self, idle: float | None = None) -> Event | None:
        """The next event; None after ``idle`` seconds without one, or once closed.

        The wait is bounded by a timer on the one waiting future, not a task: an idle SSE stream
        sends its heartbeat from here (see ``app/events/sse.py``) at no cost per stream.
        """
        if not self._items:
            if self.closed:
                return None
            loop = asyncio.get_running_loop()
            waiter = self._waiter = loop.create_future()
            timer = loop.call_later(idle, _wake, waiter) if idle else None
            try:
                await waiter
            finally:
                self._waiter = None
                if timer is not None:
                    timer.cancel()
            if not self._items:
                return None
        assert self._items is not None
        event = self._items.popleft()
        if not self._items:
            self._items = None  # an idle stream keeps no buffer
        return event

    def release(self) -> None:
        """Leave the bus now (no await: safe in a cancelled task's ``finally``)."""
        if not self.closed:
            self.closed = True
            self._bus._remove(self)
            self._wake()

    async def close(self) -> None:
        self.release()


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
        """End every subscription (their streams finish)."""
        for sub in {s for subs in self._subs.values() for s in subs}:
            sub.release()
        self._subs.clear()


class RedisBus:
    """Fan-out across app instances through Redis pub/sub.

    One Redis connection per process reads every subscribed channel and hands events
    to the local in-process bus, so 10k SSE streams do not mean 10k Redis connections.
    Which channels that connection follows is reconciled by one task from the local
    reference counts: subscribing waits for it, closing never does, so a stream cancelled
    at any point (a client gone mid-subscribe, a shutdown) leaves nothing subscribed.
    """

    def __init__(self, url: str) -> None:
        import redis.asyncio as aioredis

        self._redis = aioredis.from_url(url, decode_responses=True)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._local = InProcessBus()
        self._refs: dict[str, int] = defaultdict(int)
        self._subscribed: set[str] = set()  # what the Redis connection follows
        self._unsubscribing: set[str] = set()  # an UNSUBSCRIBE in flight
        self._waiters: list[asyncio.Future[None]] = []  # subscribes waiting for a sync
        self._dirty = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._syncer: asyncio.Task[None] | None = None
        self._closing = False

    async def publish(self, channel: str, event: Event) -> None:
        """Publish to every instance (including this one, via Redis)."""
        await self._redis.publish(channel, json.dumps(event, default=str))

    async def subscribe(self, *channels: str) -> Subscription:
        """Subscribe locally, and in Redis for channels not yet followed by this process."""
        sub = await self._local.subscribe(*channels)
        assert isinstance(sub, _QueueSubscription)
        for ch in channels:
            self._refs[ch] += 1
        rsub = _RedisSubscription(self, sub)
        if self._syncer is None:
            self._syncer = asyncio.create_task(self._sync())
            self._reader = asyncio.create_task(self._read())
        if all(ch in self._subscribed for ch in channels):
            return rsub
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._dirty.set()
        try:
            await waiter
        except BaseException:
            rsub.release()  # cancelled (client gone) or Redis down: undo, then re-raise
            raise
        return rsub

    def _release(self, sub: _QueueSubscription) -> None:
        sub.release()
        for ch in sub.channels:
            self._refs[ch] -= 1
            if self._refs[ch] <= 0:
                del self._refs[ch]
                self._dirty.set()  # the syncer unsubscribes it

    async def _sync(self) -> None:
        """Make the Redis connection follow exactly the channels someone here listens to."""
        while not self._closing:
            await self._dirty.wait()
            self._dirty.clear()
            if self._closing:
                break
            waiters, self._waiters = self._waiters, []
            add = [ch for ch in self._refs if ch not in self._subscribed]
            drop = [ch for ch in self._subscribed if ch not in self._refs]
            # Not "subscribed" while the UNSUBSCRIBE is in flight: a subscribe meanwhile
            # waits for the next round, which subscribes the channel again.
            self._subscribed.difference_update(drop)
            self._unsubscribing = set(drop)
            try:
                if add:
                    await self._pubsub.subscribe(*add)
                    self._subscribed.update(add)
                if drop:
                    await self._pubsub.unsubscribe(*drop)
                self._unsubscribing = set()
            except asyncio.CancelledError:
                for w in waiters:
                    w.cancel()
                raise
            except Exception as exc:  # Redis blip: fail these subscribes, try again later
                log.warning("redis bus: (un)subscribe failed: %s", exc)
                self._subscribed.update(drop)  # still followed: unsubscribe next round
                self._unsubscribing = set()
                for w in waiters:
                    if not w.done():
                        w.set_exception(ConnectionError(f"Redis subscribe failed: {exc}"))
                await asyncio.sleep(0.5)
                self._dirty.set()
                continue
            for w in waiters:
                if not w.done():
                    w.set_result(None)

    async def _read(self) -> None:
        while not self._closing:
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

    @property
    def subscriber_count(self) -> int:
        """Number of live subscriptions in this process (for tests and metrics)."""
        return self._local.subscriber_count

    @property
    def redis_channels(self) -> int:
        """Channels this process still asks Redis for, or is about to (tests, metrics)."""
        return len(self._subscribed | self._unsubscribing | set(self._refs))

    async def close(self) -> None:
        """Stop the tasks, end the local subscriptions and close connections."""
        # Told, woken, then cancelled: redis-py can swallow a cancellation that lands in
        # the middle of a command, and a task that missed it must still end (bounded).
        self._closing = True
        self._dirty.set()
        tasks = [t for t in (self._syncer, self._reader) if t is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        await self._local.close()
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()
        await self._redis.aclose()


class _RedisSubscription:
    __slots__ = ("_bus", "_sub")

    def __init__(self, bus: RedisBus, sub: _QueueSubscription) -> None:
        self._bus = bus
        self._sub = sub

    def __aiter__(self) -> _QueueSubscription:
        return self._sub

    @property
    def closed(self) -> bool:
        return self._sub.closed

    async def next(self, idle: float | None = None) -> Event | None:
        return await self._sub.next(idle)

    def release(self) -> None:
        """Leave the bus now (no await: safe in a cancelled task's ``finally``)."""
        if not self._sub.closed:
            self._bus._release(self._sub)

    async def close(self) -> None:
        self.release()


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
