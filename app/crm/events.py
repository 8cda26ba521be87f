"""From recorded domain events to the CRM's webhook events.

Conversation events are the durable, ordered ``conversation_event`` rows; the webhook
types are what a CRM cares about. ``conversation.updated`` is a status snapshot, so the
transitions (escalated, assigned) are found by comparing it with the conversation's
previous snapshot; explicit events (``conversation.closed``, ``csat.submitted``) pass
through, and a derived event never doubles an explicit one of the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.contacts.models import Contact
from app.conversations import repository as conv_repo
from app.conversations.models import Conversation, ConversationEvent
from app.events.service import RecordedEvent, to_jsonable
from app.files.service import linked_files

EVENT_TYPES = (
    "contact.created",
    "contact.updated",
    "conversation.created",
    "conversation.escalated",
    "conversation.assigned",
    "conversation.closed",
    "message.created",
    "note.created",
    "csat.submitted",
)
TEST_EVENT = "webhook.test"
_PASS_THROUGH = {
    "conversation.created",
    "conversation.closed",
    "message.created",
    "note.created",
    "csat.submitted",
    "conversation.escalated",
    "conversation.assigned",
}
_SNAPSHOTS = ("conversation.created", "conversation.updated")


@dataclass
class WebhookEvent:
    """One event for the outbox: its type, ordering key, links and payload data."""

    type: str
    site_id: int
    ordering_key: str
    data: dict[str, Any]
    conversation_id: int | None = None
    contact_id: int | None = None
    source: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _snapshot(data: dict[str, Any]) -> tuple[str | None, int | None]:
    """(status, assignee id) of a conversation.created/updated event's data."""
    conv = data.get("agent") or data.get("conversation") or {}
    assignee = conv.get("assignee") if isinstance(conv, dict) else None
    status = conv.get("status") if isinstance(conv, dict) else None
    return status, assignee.get("id") if isinstance(assignee, dict) else None


async def _previous_snapshot(
    session: AsyncSession, conversation_id: int, before_seq: int
) -> tuple[str | None, int | None]:
    row = (
        await session.exec(
            select(ConversationEvent)
            .where(ConversationEvent.conversation_id == conversation_id)
            .where(col(ConversationEvent.type).in_(_SNAPSHOTS))
            .where(col(ConversationEvent.seq) < before_seq)
            .order_by(col(ConversationEvent.seq).desc())
        )
    ).first()
    return _snapshot(row.data) if row is not None else (None, None)


async def conversation_payload(session: AsyncSession, c: Conversation) -> dict[str, Any]:
    """The conversation as the CRM gets it, with its contact."""
    contact = await session.get(Contact, c.contact_id) if c.contact_id else None
    from app.contacts.service import payload as contact_payload

    return {
        "id": c.id,
        "site_id": c.site_id,
        "status": c.status.value if hasattr(c.status, "value") else str(c.status),
        "team": c.team,
        "priority": c.priority,
        "intent": c.intent,
        "lang": c.lang,
        "assignee_id": c.assignee_id,
        "contact": contact_payload(contact) if contact else None,
        "context": dict(c.context or {}),
        "handoff": c.handoff,
        "created_at": c.created_at,
        "closed_at": c.closed_at,
    }


async def transcript(session: AsyncSession, conversation_id: int) -> list[dict[str, Any]]:
    """Every message of the conversation, in order."""
    return [
        {
            "id": m.id,
            "seq": m.seq,
            "sender": m.sender.value if hasattr(m.sender, "value") else str(m.sender),
            "author_name": m.author_name,
            "text": m.text,
            "sources": m.sources,
            # Each with a link signed for that one file, valid 24 h: download it promptly.
            "attachments": linked_files(m.attachments or []),
            "created_at": m.created_at,
        }
        for m in await conv_repo.messages(session, conversation_id)
    ]


async def to_webhook_events(
    session: AsyncSession, recorded: list[RecordedEvent]
) -> list[WebhookEvent]:
    """The webhook events a transaction's recorded events make, in order."""
    out: list[WebhookEvent] = []
    convs: dict[int, Conversation] = {}
    last: dict[int, tuple[str | None, int | None]] = {}
    explicit = {
        (e.conversation_id, e.type)
        for e in recorded
        if e.type in _PASS_THROUGH and e.conversation_id
    }

    async def conv(cid: int) -> Conversation | None:
        if cid not in convs:
            c = await session.get(Conversation, cid)
            if c is None:
                return None
            convs[cid] = c
        return convs[cid]

    for e in recorded:
        if e.conversation_id is None:
            if e.type.startswith("contact.") and e.type in EVENT_TYPES and e.contact_id:
                out.append(
                    WebhookEvent(
                        type=e.type,
                        site_id=e.site_id,
                        ordering_key=f"contact:{e.contact_id}",
                        data=e.data,
                        contact_id=e.contact_id,
                        source=e.meta.get("source"),
                    )
                )
            continue
        cid = e.conversation_id
        types: list[str] = []
        if e.type in _SNAPSHOTS and e.seq is not None:
            before = last.get(cid) or await _previous_snapshot(session, cid, e.seq)
            status, assignee = now = _snapshot(e.data)
            last[cid] = now
            if e.type == "conversation.updated":
                if status == "queued" and before[0] != "queued":
                    types.append("conversation.escalated")
                if status == "assigned" and (before[0] != "assigned" or before[1] != assignee):
                    types.append("conversation.assigned")
                if status == "closed" and before[0] != "closed":
                    types.append("conversation.closed")
                types = [t for t in types if (cid, t) not in explicit]
        if e.type in _PASS_THROUGH:
            types.append(e.type)
        c = await conv(cid) if types else None
        if c is None:
            continue
        for t in types:
            data: dict[str, Any]
            if t == "message.created":
                data = {"conversation_id": cid, "contact_id": c.contact_id, "message": e.data}
            elif t == "note.created":
                # An agents' private note: its own type, so a receiver that shows
                # message.created to the customer can never leak one.
                data = {
                    "conversation_id": cid,
                    "contact_id": c.contact_id,
                    "private": True,
                    "note": e.data,
                }
            else:
                data = {"conversation": await conversation_payload(session, c)}
                if t == "conversation.closed":
                    data["closed"] = e.data if e.type == "conversation.closed" else {}
                    data["transcript"] = await transcript(session, cid)
                elif t == "conversation.escalated":
                    data["handoff"] = c.handoff
                elif t == "conversation.assigned":
                    data["assignee"] = (e.data.get("agent") or {}).get("assignee") or e.data.get(
                        "assignee"
                    )
                elif t == "csat.submitted":
                    data["csat"] = e.data
            out.append(
                WebhookEvent(
                    type=t,
                    site_id=e.site_id,
                    ordering_key=f"conversation:{cid}",
                    data=to_jsonable(data),
                    conversation_id=cid,
                    contact_id=c.contact_id,
                )
            )
    return out
