"""SSE streams that replay stored events after ``Last-Event-ID`` and then go live."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import anyio
from sqlmodel import col, select
from sse_starlette import EventSourceResponse, ServerSentEvent

from app.config import get_settings
from app.conversations.models import ConversationEvent
from app.db import sessionmaker
from app.events.bus import Event, get_bus, site_channel, visitor_channel
from app.events.service import wire

SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
# Sent after ``sse_ping_seconds`` without an event: keeps proxies from closing an idle
# stream, and the console's watchdog (three missed) from reconnecting.
HEARTBEAT = ServerSentEvent(comment="ping")


def parse_last_event_id(value: str | None) -> int:
    """A non-negative integer cursor; anything else starts from the beginning."""
    if not value:
        return 0
    try:
        return max(0, int(value.strip()))
    except ValueError:
        return 0


def _frame(ev: Event, id_: int | None, *, for_visitor: bool = False) -> ServerSentEvent:
    data = ev["data"]
    if for_visitor and isinstance(data, dict) and "agent" in data:
        data = {k: v for k, v in data.items() if k != "agent"}
    # JSON never contains raw CR/LF, and event names are ours, so frames cannot be split.
    return ServerSentEvent(
        data=json.dumps(data, separators=(",", ":"), default=str),
        event=str(ev["type"]),
        id=str(id_) if id_ is not None else None,
    )


# A stream's database reads are shielded: a client that goes away cancels its stream, and
# a query cancelled half-way makes SQLAlchemy throw its connection away (with aiosqlite a
# "Task was destroyed but it is pending" and a connection never closed). The cancellation
# lands at the stream's next await instead. Each read has its own short session, closed
# before the stream waits again: an idle stream holds no session and no connection.


async def _conversation_rows(conversation_id: int, after_seq: int) -> Sequence[ConversationEvent]:
    rows: Sequence[ConversationEvent] = ()
    with anyio.CancelScope(shield=True):
        async with sessionmaker()() as s:
            rows = (
                await s.exec(
                    select(ConversationEvent)
                    .where(ConversationEvent.conversation_id == conversation_id)
                    .where(col(ConversationEvent.seq) > after_seq)
                    .order_by(col(ConversationEvent.seq))
                )
            ).all()
    return rows


async def _site_rows(site_ids: list[int], after_id: int) -> Sequence[ConversationEvent]:
    rows: Sequence[ConversationEvent] = ()
    with anyio.CancelScope(shield=True):
        async with sessionmaker()() as s:
            rows = (
                await s.exec(
                    select(ConversationEvent)
                    .where(col(ConversationEvent.site_id).in_(site_ids))
                    .where(col(ConversationEvent.id) > after_id)
                    .order_by(col(ConversationEvent.id))
                    .limit(5000)
                )
            ).all()
    return rows


async def visitor_events(
    session_id: str, conversation_id: int | None, last_seq: int, *, heartbeat: float | None = None
) -> AsyncIterator[ServerSentEvent]:
    """A visitor's stream: their latest conversation's events in sequence order, gap-free.

    It follows the visitor session, not one conversation, so a stream opened before the
    first message sees the bot's answer from its first chunk, and a new conversation after
    a closed one takes over (its sequence numbers start again at 1).
    """
    beat = heartbeat or get_settings().sse_ping_seconds
    sub = await get_bus().subscribe(visitor_channel(session_id))  # undone if cancelled
    current = conversation_id
    try:

        async def replay(upto: int | None = None) -> AsyncIterator[ServerSentEvent]:
            nonlocal last_seq
            assert current is not None
            for row in await _conversation_rows(current, last_seq):
                if upto is not None and row.seq > upto:
                    break
                last_seq = row.seq
                if row.visitor_visible:
                    yield _frame(wire(row), row.seq, for_visitor=True)

        # Subscribe before reading the database so nothing committed in between is lost.
        if current is not None:
            async for frame in replay():
                yield frame
        while True:
            ev = await sub.next(beat)
            if ev is None:
                if sub.closed:
                    return
                yield HEARTBEAT
                continue
            conv = ev.get("conversation_id")
            if conv != current:
                if current is not None and (conv is None or conv < current):
                    continue  # an older conversation of this visitor
                if ev.get("seq") is None:
                    continue  # live chunk of a conversation we have not switched to yet
                current, last_seq = conv, 0
                async for frame in replay(upto=ev["seq"]):
                    yield frame
                continue
            seq = ev.get("seq")
            if seq is None:
                yield _frame(ev, None, for_visitor=True)
                continue
            if seq <= last_seq:
                continue
            if seq > last_seq + 1:
                # Publishes of concurrent transactions can overtake each other: fill the
                # gap from the database, which is the source of truth.
                async for frame in replay(upto=seq):
                    yield frame
                continue
            last_seq = seq
            if ev.get("visitor_visible", True):
                yield _frame(ev, seq, for_visitor=True)
    finally:
        sub.release()  # synchronous: the disconnect that got us here cancels every await


async def site_events(
    site_ids: list[int], last_id: int, *, heartbeat: float | None = None
) -> AsyncIterator[ServerSentEvent]:
    """An agent's stream: every conversation event of their sites, by global event id."""
    beat = heartbeat or get_settings().sse_ping_seconds
    sub = await get_bus().subscribe(*(site_channel(s) for s in site_ids))
    seen: set[int] = set()
    try:
        if last_id:
            # Read, then send: the session is closed before the first frame waits on the
            # client (a slow console must not hold a connection and a read transaction).
            for row in await _site_rows(site_ids, last_id):
                assert row.id is not None
                seen.add(row.id)
                yield _frame(wire(row), row.id)
        while True:
            ev = await sub.next(beat)
            if ev is None:
                if sub.closed:
                    return
                yield HEARTBEAT
                continue
            eid = ev.get("id")
            if eid is not None and eid in seen:
                continue
            yield _frame(ev, eid)
    finally:
        sub.release()


def sse_response(events: AsyncIterator[ServerSentEvent]) -> EventSourceResponse:
    """Send a stream of this module (which sends its own heartbeats) with no-cache headers.

    sse-starlette's ping is off (``ping=0``): it costs every stream a task of its own,
    about 6 KB each at 10k idle streams; ours is a timer on the wait for the next event.
    """
    resp: Any = EventSourceResponse(events, ping=0, headers=SSE_HEADERS)
    return resp  # type: ignore[no-any-return]
