"""SSE streams that replay stored events after ``Last-Event-ID`` and then go live."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlmodel import col, select
from sse_starlette import EventSourceResponse, ServerSentEvent

from app.conversations.models import ConversationEvent
from app.db import sessionmaker
from app.events.bus import Event, conversation_channel, get_bus, site_channel
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


async def _visitor_events(conversation_id: int, after_seq: int) -> Sequence[ConversationEvent]:
    async with sessionmaker()() as s:
        rows = await s.exec(
            select(ConversationEvent)
            .where(ConversationEvent.conversation_id == conversation_id)
            .where(col(ConversationEvent.seq) > after_seq)
            .order_by(col(ConversationEvent.seq))
        )
        return rows.all()


async def conversation_events(
    conversation_id: int, last_seq: int
) -> AsyncIterator[ServerSentEvent]:
    """A visitor's stream: their conversation's events in sequence order, gap-free."""
    sub = await get_bus().subscribe(conversation_channel(conversation_id))
    try:
        # Subscribe before reading the database so nothing committed in between is lost.
        for row in await _visitor_events(conversation_id, last_seq):
            last_seq = row.seq
            if row.visitor_visible:
                yield _frame(wire(row), row.seq, for_visitor=True)
        async for ev in sub:
            seq = ev.get("seq")
            if seq is None:
                yield _frame(ev, None, for_visitor=True)
                continue
            if seq <= last_seq:
                continue
            if seq > last_seq + 1:
                # Publishes of concurrent transactions can overtake each other: fill the
                # gap from the database, which is the source of truth.
                for row in await _visitor_events(conversation_id, last_seq):
                    if row.seq > seq:
                        break
                    last_seq = row.seq
                    if row.visitor_visible:
                        yield _frame(wire(row), row.seq, for_visitor=True)
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
