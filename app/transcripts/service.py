"""Transcript export: the whole conversation as JSON (stable keys) or as an HTML document.

Two audiences. Agents get everything stored: every message, the system events (status
changes, closes and reopens, ratings), intent and handoff, and the agents' private notes
(``note.created`` and transfer notes, their detail marked ``"private": true``).
Visitors get only what their widget showed them: messages and events whose stream
event is visitor-visible, so anything kept from visitors (private notes, internal
context) stays out.
Read receipts (``conversation.read``) are in neither.

Attachments are listed by name, type and size with a download link that works without
signing in for 24 hours (signed for that one file, app/files); files are never inlined.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.conversations import service as conversations
from app.conversations.models import Conversation, ConversationEvent
from app.conversations.schemas import csat_of
from app.db import utcnow
from app.events.service import to_jsonable
from app.files.service import linked_files
from app.sites.models import Site

Audience = Literal["agent", "visitor"]
FORMAT = "parley.transcript/1"
# Listed elsewhere or not part of the conversation: messages have their own list, and a
# read receipt (the console's "Seen", the widget's "Read") is a mark on the screen, not
# something anyone said or did; the HTML never showed them either.
LEFT_OUT = {"message.created", "conversation.read"}


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t else None


def _detail(ev: ConversationEvent) -> dict[str, Any]:
    """The few stable facts of a system event (the raw payloads are internal shapes)."""
    d = ev.data or {}
    if ev.type == "conversation.updated":
        conv = d.get("conversation") or {}
        row = d.get("agent") or {}
        return {
            "status": conv.get("status"),
            "assignee": conv.get("assignee_name"),
            "team": row.get("team"),
        }
    if ev.type == "conversation.closed":
        return {"by": d.get("by"), "reason": d.get("reason")}
    if ev.type == "conversation.reopened":
        return {"status": d.get("status")}
    if ev.type == "csat.submitted":
        return {"rating": d.get("rating"), "comment": d.get("comment")}
    if ev.type == "note.created":  # agents only: a visitor's transcript never has one
        return {
            "private": True,
            "author": (d.get("author") or {}).get("name"),
            "text": d.get("text"),
            "mentions": [m.get("name") for m in d.get("mentions") or []],
        }
    if ev.type.startswith("routing."):
        detail: dict[str, Any] = {"text": d.get("text")}
        if d.get("note"):  # a transfer's note: private like the notes above
            detail |= {"private": True, "note": d["note"]}
        return detail
    return {}


async def build(session: AsyncSession, c: Conversation, audience: Audience) -> dict[str, Any]:
    """The transcript of a conversation for agents or for its visitor."""
    assert c.id is not None
    agent = audience == "agent"
    events = (
        await session.exec(
            select(ConversationEvent)
            .where(ConversationEvent.conversation_id == c.id)
            .order_by(col(ConversationEvent.seq))
        )
    ).all()
    visible = {e.seq for e in events if agent or e.visitor_visible}
    msgs = [m for m in await conversations.repo.messages(session, c.id) if m.seq in visible]
    site = await session.get(Site, c.site_id)
    assignee = await conversations._assignee_name(session, c)
    csat = csat_of(c)
    handoff = c.handoff or {}
    return to_jsonable(
        {
            "format": FORMAT,
            "audience": audience,
            "exported_at": _iso(utcnow()),
            "conversation": {
                "id": c.id,
                "site": {"id": c.site_id, "name": site.name if site else None},
                "status": c.status.value if hasattr(c.status, "value") else str(c.status),
                "created_at": _iso(c.created_at),
                "closed_at": _iso(c.closed_at),
                "visitor_name": await conversations._visitor_name(session, c),
                "assignee": assignee,
                "team": c.team if agent else None,
                "intent": c.intent if agent else None,
                "language": c.lang,
                "handoff": {
                    "reason": handoff.get("reason"),
                    "summary": handoff.get("summary"),
                    "at": handoff.get("at"),
                }
                if agent and c.handoff
                else None,
                "csat": csat.model_dump(mode="json") if csat else None,
            },
            "messages": [
                {
                    "id": m.id,
                    "seq": m.seq,
                    "sender": m.sender.value if hasattr(m.sender, "value") else str(m.sender),
                    "author": m.author_name,
                    "text": m.text,
                    "created_at": _iso(m.created_at),
                    "sources": [
                        {"title": s.get("title", ""), "url": s.get("url", "")} for s in m.sources
                    ],
                    "attachments": linked_files(m.attachments or []),
                }
                for m in msgs
            ],
            "events": [
                {
                    "seq": e.seq,
                    "type": e.type,
                    "created_at": _iso(e.created_at),
                    "detail": _detail(e),
                }
                for e in events
                if e.seq in visible and e.type not in LEFT_OUT
            ],
        }
    )
