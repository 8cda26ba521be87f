"""Recording durable conversation events and publishing them after commit."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.conversations.models import Conversation, ConversationEvent
from app.db import sessionmaker, utcnow
from app.events.bus import get_bus, site_channel, visitor_channel

_PENDING = "parley_pending_events"
_RECORDED = "parley_recorded_events"  # conversation and other domain events, in order
_AFTER_COMMIT = "parley_after_commit"


@dataclass(frozen=True)
class RecordedEvent:
    """A fact recorded in a transaction, as listeners see it just before the commit.

    Conversation events carry their conversation and sequence number; others (e.g.
    ``contact.updated``) carry ``contact_id``.
    """

    type: str
    site_id: int
    data: dict[str, Any]
    created_at: datetime
    conversation_id: int | None = None
    seq: int | None = None
    contact_id: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)


RecordedListener = Callable[[AsyncSession, list[RecordedEvent]], Awaitable[None]]
_listeners: list[RecordedListener] = []


def add_listener(fn: RecordedListener) -> None:
    """Hand every transaction's recorded events to ``fn`` before it commits (e.g. the
    webhook outbox), so what it writes commits or rolls back with the events."""
    if fn not in _listeners:
        _listeners.append(fn)


def remove_listener(fn: RecordedListener) -> None:
    """Stop calling ``fn``."""
    if fn in _listeners:
        _listeners.remove(fn)


def record_domain_event(
    session: AsyncSession,
    site_id: int,
    type_: str,
    data: dict[str, Any],
    *,
    contact_id: int | None = None,
    meta: dict[str, Any] | None = None,
) -> None:
    """Record a fact outside any conversation's stream (listeners see it before commit)."""
    session.info.setdefault(_RECORDED, []).append(
        RecordedEvent(
            type=type_,
            site_id=site_id,
            data=to_jsonable(data),
            created_at=utcnow(),
            contact_id=contact_id,
            meta=meta or {},
        )
    )


def after_commit(session: AsyncSession, fn: Callable[[], None]) -> None:
    """Run ``fn`` once this session's transaction has committed (e.g. wake a worker)."""
    callbacks: list[Callable[[], None]] = session.info.setdefault(_AFTER_COMMIT, [])
    if fn not in callbacks:
        callbacks.append(fn)


async def run_listeners(session: AsyncSession) -> None:
    """Give the listeners this transaction's events (call right before commit)."""
    recorded: list[ConversationEvent | RecordedEvent] = session.info.pop(_RECORDED, [])
    if not recorded or not _listeners:
        return
    events = [
        RecordedEvent(
            type=e.type,
            site_id=e.site_id,
            data=e.data,  # final now: add_message fills it in after record_event
            created_at=e.created_at,
            conversation_id=e.conversation_id,
            seq=e.seq,
        )
        if isinstance(e, ConversationEvent)
        else e
        for e in recorded
    ]
    for fn in list(_listeners):
        await fn(session, events)


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
    touch: bool = True,
) -> ConversationEvent:
    """Store an event with the conversation's next sequence number, in the caller's transaction.

    The ``UPDATE … RETURNING`` takes the conversation's row lock, so concurrent writers get
    consecutive numbers and the unique (conversation_id, seq) constraint never trips.
    ``touch=False`` leaves ``updated_at`` (the inbox order) alone, e.g. for read receipts.
    """
    assert conversation.id is not None
    now = utcnow()
    values: dict[str, Any] = {"last_seq": Conversation.last_seq + 1}
    if touch:
        values["updated_at"] = now
    result = await session.exec(
        update(Conversation)
        .where(Conversation.id == conversation.id)  # type: ignore[arg-type]
        .values(**values)
        .returning(col(Conversation.last_seq))
    )
    seq = int(result.scalar_one())
    conversation.last_seq = seq
    if touch:
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
    session.info.setdefault(_RECORDED, []).append(event)
    return event


async def record_private(
    session: AsyncSession, conversation: Conversation, type_: str, data: dict[str, Any]
) -> ConversationEvent:
    """Store an event only agents see (never the visitor's stream, replay or transcript).

    Its data carries its own ``seq`` and time: the console places such notes (routing
    decisions, transfer notes, private notes) among the messages by sequence.
    """
    event = await record_event(session, conversation, type_, data, visitor_visible=False)
    event.data = {**event.data, "seq": event.seq, "at": event.created_at.isoformat()}
    session.add(event)
    await session.flush()
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
    session.info.pop(_RECORDED, None)
    session.info.pop(_AFTER_COMMIT, None)


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
            await run_listeners(session)
            await session.commit()
        except BaseException:
            await session.rollback()
            discard_pending(session)
            raise
        await publish_pending(session)
        for fn in session.info.pop(_AFTER_COMMIT, []):
            fn()
