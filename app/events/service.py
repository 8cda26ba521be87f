"""Recording durable conversation events and publishing them after commit."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.conversations.models import Conversation, ConversationEvent
from app.db import sessionmaker, utcnow
from app.events.bus import get_bus, site_channel, visitor_channel

_PENDING = "parley_pending_events"


def to_jsonable(data: Any) -> Any:
    """Round-trip through JSON so datetimes and enums become plain values."""
    return json.loads(json.dumps(data, default=str))


async def record_event(
    session: AsyncSession,
    conversation: Conversation,
    type_: str,
    data: dict[str, Any],
    *,
    visitor_visible: bool = True,
) -> ConversationEvent:
    """Store an event with the conversation's next sequence number, in the caller's transaction.

    The ``UPDATE … RETURNING`` takes the conversation's row lock, so concurrent writers get
    consecutive numbers and the unique (conversation_id, seq) constraint never trips.
    """
    assert conversation.id is not None
    now = utcnow()
    result = await session.exec(
        update(Conversation)
        .where(Conversation.id == conversation.id)  # type: ignore[arg-type]
        .values(last_seq=Conversation.last_seq + 1, updated_at=now)
        .returning(col(Conversation.last_seq))
    )
    seq = int(result.scalar_one())
    conversation.last_seq = seq
    conversation.updated_at = now
    event = ConversationEvent(
        conversation_id=conversation.id,
        site_id=conversation.site_id,
        seq=seq,
        type=type_,
        visitor_visible=visitor_visible,
        data=to_jsonable(data),
        created_at=now,
    )
    session.add(event)
    await session.flush()
    session.info.setdefault(_PENDING, []).append((event, conversation.session_id))
    return event


def wire(event: ConversationEvent) -> dict[str, Any]:
    """The bus/SSE form of a stored event."""
    return {
        "id": event.id,
        "seq": event.seq,
        "conversation_id": event.conversation_id,
        "site_id": event.site_id,
        "type": event.type,
        "visitor_visible": event.visitor_visible,
        "data": event.data,
    }


async def publish_pending(session: AsyncSession) -> None:
    """Fan out the events this session committed (call only after commit)."""
    events: list[tuple[ConversationEvent, str]] = session.info.pop(_PENDING, [])
    bus = get_bus()
    for ev, session_id in events:
        payload = wire(ev)
        await bus.publish(visitor_channel(session_id), payload)
        await bus.publish(site_channel(ev.site_id), payload)


def discard_pending(session: AsyncSession) -> None:
    """Forget events of a rolled-back transaction."""
    session.info.pop(_PENDING, None)


class ConversationRef(Protocol):
    """Where a conversation's live events go (a Conversation, or its ids)."""

    @property
    def id(self) -> int | None: ...
    @property
    def site_id(self) -> int: ...
    @property
    def session_id(self) -> str: ...


async def publish_ephemeral(target: ConversationRef, type_: str, data: dict[str, Any]) -> None:
    """Publish a live-only event (typing, bot token deltas): not stored, not replayed."""
    payload = {
        "id": None,
        "seq": None,
        "conversation_id": target.id,
        "site_id": target.site_id,
        "type": type_,
        "visitor_visible": True,
        "data": data,
    }
    bus = get_bus()
    await bus.publish(visitor_channel(target.session_id), payload)
    await bus.publish(site_channel(target.site_id), payload)


@asynccontextmanager
async def unit_of_work() -> AsyncIterator[AsyncSession]:
    """A session outside a request (workers, CLI): commit, then publish its events."""
    async with sessionmaker()() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            discard_pending(session)
            raise
        await publish_pending(session)
