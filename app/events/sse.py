"""SSE streams that replay stored events after ``Last-Event-ID`` and then go live."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlmodel import col, select
from sse_starlette import EventSourceResponse, ServerSentEvent

from app.conversations.models import ConversationEvent
from app.db import sessionmaker
from app.events.bus import Event, get_bus, site_channel, visitor_channel
from app.events.service import wire

SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


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


async def _conversation_rows(conversation_id: int, after_seq: int) -> Sequence[ConversationEvent]:
    async with sessionmaker()() as s:
        rows = await s.exec(
            select(ConversationEvent)
            .where(ConversationEvent.conversation_id == conversation_id)
            .where(col(ConversationEvent.seq) > after_seq)
            .order_by(col(ConversationEvent.seq))
        )
        return rows.all()


async def visitor_events(
    session_id: str, conversation_id: int | None, last_seq: int
) -> AsyncIterator[ServerSentEvent]:
    """A visitor's stream: their latest conversation's events in sequence order, gap-free.

    It follows the visitor session, not one conversation, so a stream opened before the
    first message sees the bot's answer from its first chunk, and a new conversation after
    a closed one takes over (its sequence numbers start again at 1).
    """
    sub = await get_bus().subscribe(visitor_channel(session_id))
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
        async for ev in sub:
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
        await sub.close()


async def site_events(site_ids: list[int], last_id: int) -> AsyncIterator[ServerSentEvent]:
    """An agent's stream: every conversation event of their sites, by global event id."""
    sub = await get_bus().subscribe(*(site_channel(s) for s in site_ids))
    seen: set[int] = set()
    try:
        if last_id:
            async with sessionmaker()() as s:
                rows = await s.exec(
                    select(ConversationEvent)
                    .where(col(ConversationEvent.site_id).in_(site_ids))
                    .where(col(ConversationEvent.id) > last_id)
                    .order_by(col(ConversationEvent.id))
                    .limit(5000)
                )
                for row in rows.all():
                    assert row.id is not None
                    seen.add(row.id)
                    yield _frame(wire(row), row.id)
        async for ev in sub:
            eid = ev.get("id")
            if eid is not None and eid in seen:
                continue
            yield _frame(ev, eid)
    finally:
        await sub.close()


def sse_response(events: AsyncIterator[ServerSentEvent], ping: float) -> EventSourceResponse:
    """Wrap an event iterator with heartbeats and no-cache headers."""
    resp: Any = EventSourceResponse(events, ping=int(max(1, ping)), headers=SSE_HEADERS)
    return resp  # type: ignore[no-any-return]
