"""Domain events and their listeners: side effects without ORM callbacks.

A service calls ``emit(session, SomethingHappened(...))`` after it changed the state; each
listener registered for that event type runs in the same session, so what it does
(routing a conversation, for instance) commits or rolls back with the change itself
and a crash can never leave one without the other. Listeners only flush, like services.

Listeners are registered when the app starts (``app/main.py``), not on import, so a
service that emits an event never imports the packages that react to it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from app.agents.models import Agent
from app.conversations.models import Conversation

log = logging.getLogger(__name__)

E = TypeVar("E")
Listener = Callable[[AsyncSession, Any], Awaitable[None]]

_listeners: dict[type, list[Listener]] = defaultdict(list)


@dataclass(frozen=True)
class ConversationEscalated:
    """The bot (or the visitor) handed the conversation to people: it is queued now."""

    conversation: Conversation


@dataclass(frozen=True)
class ConversationAssigned:
    """A person took the conversation (routing, a claim, a reply, a transfer)."""

    conversation: Conversation
    agent: Agent
    from_queue: bool  # it was waiting in the queue (its wait ends now)


@dataclass(frozen=True)
class ConversationReleased:
    """An agent no longer holds the conversation (closed, handed back): they have room."""

    conversation: Conversation
    agent_id: int | None


def listen(event_type: type[E], fn: Callable[[AsyncSession, E], Awaitable[None]]) -> None:
    """Run ``fn`` in the emitting session whenever ``event_type`` is emitted."""
    if fn not in _listeners[event_type]:
        _listeners[event_type].append(fn)


def clear() -> None:
    """Forget every listener (tests)."""
    _listeners.clear()


async def emit(session: AsyncSession, event: object) -> None:
    """Run the event's listeners, in registration order, in the caller's transaction."""
    for fn in list(_listeners.get(type(event), ())):
        await fn(session, event)
