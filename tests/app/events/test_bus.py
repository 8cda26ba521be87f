"""The event bus delivers to subscribers of a channel, in-process and through Redis."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from app.events.bus import EventBus, InProcessBus, RedisBus
from tests.conftest import REDIS_URL


@pytest.fixture(params=["inprocess", "redis"])
async def bus(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    b: EventBus = InProcessBus() if request.param == "inprocess" else RedisBus(REDIS_URL)
    yield b
    await b.close()


async def _next(sub, timeout: float = 5):  # type: ignore[no-untyped-def]
    it = sub.__aiter__()
    return await asyncio.wait_for(it.__anext__(), timeout)


async def test_subscribers_get_their_channels_only_and_in_order(bus: EventBus) -> None:
    a, b = f"conv:{uuid.uuid4().hex}", f"conv:{uuid.uuid4().hex}"
    sub_a = await bus.subscribe(a)
    sub_both = await bus.subscribe(a, b)
    await asyncio.sleep(0.2)  # Redis SUBSCRIBE is asynchronous
    for i in range(5):
        await bus.publish(a, {"n": i})
    await bus.publish(b, {"n": "b"})
    got_a = [(await _next(sub_a))["n"] for _ in range(5)]
    got_both = [(await _next(sub_both))["n"] for _ in range(6)]
    assert got_a == [0, 1, 2, 3, 4]
    assert got_both == [0, 1, 2, 3, 4, "b"]
    with pytest.raises(TimeoutError):
        await _next(sub_a, timeout=0.3)
    await sub_a.close()
    await sub_both.close()


async def test_closed_subscription_stops_receiving(bus: EventBus) -> None:
    ch = f"conv:{uuid.uuid4().hex}"
    sub = await bus.subscribe(ch)
    keep = await bus.subscribe(ch)
    await asyncio.sleep(0.2)
    await sub.close()
    await bus.publish(ch, {"n": 1})
    assert (await _next(keep))["n"] == 1
    await keep.close()
    if isinstance(bus, InProcessBus):
        assert bus.subscriber_count == 0


async def test_redis_bus_fans_out_across_instances() -> None:
    """Two app instances: an event published on one reaches a stream held by the other."""
    one, two = RedisBus(REDIS_URL), RedisBus(REDIS_URL)
    try:
        ch = f"site:{uuid.uuid4().hex}"
        sub = await two.subscribe(ch)
        await asyncio.sleep(0.2)
        await one.publish(ch, {"type": "message.created", "seq": 1})
        assert (await _next(sub))["seq"] == 1
        await sub.close()
    finally:
        await one.close()
        await two.close()
