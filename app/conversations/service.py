"""Conversation rules: messages, escalation, assignment, closing. Services only flush."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.agents.models import Agent
from app.bot.models import BotJob
from app.contacts.models import Contact
from app.conversations import repository as repo
from app.conversations.models import Conversation, Message, Sender, Status
from app.conversations.schemas import (
    AgentRef,
    ConversationDetail,
    ConversationSummary,
    MessageOut,
    PageViewOut,
    csat_of,
    visitor_view,
)
from app.db import utcnow
from app.errors import Conflict, NotFound
from app.events.domain import (
    ConversationAssigned,
    ConversationEscalated,
    ConversationReleased,
    emit,
)
from app.events.service import record_event
from app.files import service as files
from app.files.models import Attachment
from app.files.schemas import brief as file_brief
from app.sites.models import Site
from app.sites.service import bot_name
from app.visitors import service as visitors
from app.visitors.models import VisitorSession


def _preview(m: Message) -> dict[str, Any]:
    # A message of files only is shown in the inbox by their names (in words: an emoji is
    # a missing glyph where no emoji font is installed).
    text = m.text or "File: " + ", ".join(str(a.get("name", "")) for a in m.attachments or [])
    return {"text": text[:200], "sender": str(m.sender.value), "created_at": m.created_at}


async def _assignee_name(session: AsyncSession, c: Conversation) -> str | None:
    if c.assignee_id is None:
        return None
    agent = await session.get(Agent, c.assignee_id)
    return agent.name if agent else None


async def add_message(
    session: AsyncSession,
    c: Conversation,
    sender: Sender,
    text: str,
    *,
    author: Agent | None = None,
    author_name: str | None = None,
    client_message_id: str | None = None,
    sources: list[dict[str, Any]] | None = None,
    stream_id: str | None = None,
    quick_replies: list[str] | None = None,
    attachments: list[Attachment] | None = None,
) -> Message:
    """Store a message and its ``message.created`` event in one transaction (with the
    files it carries, already checked by ``files.claim``)."""
    assert c.id is not None
    event = await record_event(session, c, "message.created", {})
    m = Message(
        conversation_id=c.id,
        seq=event.seq,
        sender=sender,
        author_id=author.id if author else None,
        author_name=author.name if author else author_name,
        text=text,
        sources=sources or [],
        quick_replies=quick_replies or [],
        attachments=[file_brief(a) for a in attachments or []],
        client_message_id=client_message_id,
        stream_id=stream_id,
        created_at=event.created_at,
    )
    session.add(m)
    await session.flush()
    assert m.id is not None
    await files.bind(session, attachments or [], c, m.id)
    event.data = MessageOut.of(m).model_dump(mode="json")
    c.last_message = _preview(m) | {"created_at": m.created_at.isoformat()}
    session.add(c)
    session.add(event)
    await session.flush()
    return m


async def _status_event(session: AsyncSession, c: Conversation) -> None:
    name = await _assignee_name(session, c)
    (summary,) = await summaries(session, [c])
    # "agent" carries the inbox row; the visitor's stream strips it (see events/sse.py).
    await record_event(
        session,
        c,
        "conversation.updated",
        {
            "conversation": visitor_view(c, name).model_dump(mode="json"),
            "agent": summary.model_dump(mode="json"),
        },
    )


async def start(session: AsyncSession, vs: VisitorSession) -> Conversation:
    """Open a new conversation for the visitor session, with its captured context."""
    # Read the session under its lock: an identify stored while this request was on its
    # way (the widget sends it with the first message) brings its name, email and contact.
    await visitors.lock(session, vs)
    c = Conversation(
        site_id=vs.site_id,
        session_id=vs.id,
        contact_id=vs.contact_id,
        context=dict(vs.context),
    )
    if "proactive" in vs.context:
        # The proactive message that led here belongs to this conversation, not to later ones.
        vs.context = {k: v for k, v in vs.context.items() if k != "proactive"}
        session.add(vs)
    session.add(c)
    await session.flush()
    (summary,) = await summaries(session, [c])
    await record_event(
        session,
        c,
        "conversation.created",
        {"conversation": summary.model_dump(mode="json")},
        visitor_visible=False,
    )
    return c


async def visitor_message(
    session: AsyncSession,
    vs: VisitorSession,
    client_message_id: str,
    text: str,
    attachment_ids: list[int] | None = None,
) -> tuple[Message, Conversation, bool]:
    """Accept a visitor message once (by client id); queue a bot turn while the bot owns it."""
    # Writing the session row first serialises concurrent sends of one visitor (row lock on
    # PostgreSQL, write lock on SQLite), so a retried send can never create a second copy.
    await session.exec(
        update(VisitorSession).where(col(VisitorSession.id) == vs.id).values(last_seen_at=utcnow())
    )
    existing = await repo.message_by_client_id(session, vs.id, client_message_id)
    if existing is not None:
        c = await session.get(Conversation, existing.conversation_id)
        assert c is not None
        return existing, c, False
    # Checked before anything is stored: only this visitor's own unsent uploads.
    attached = await files.claim(session, attachment_ids or [], visitor=vs)
    c = await repo.open_for_session(session, vs.id)
    if c is None:
        # Imported here: the lifecycle rules build on this module.
        from app.lifecycle.service import reopen_recent

        # Written again soon after a close: the same conversation reopens.
        c = await reopen_recent(session, vs) or await start(session, vs)
    m = await add_message(
        session, c, Sender.visitor, text, client_message_id=client_message_id, attachments=attached
    )
    if c.status == Status.bot:
        assert c.id is not None and m.id is not None
        session.add(BotJob(conversation_id=c.id, message_id=m.id))
        await session.flush()
    return m, c, True


async def bot_message(
    session: AsyncSession,
    c: Conversation,
    text: str,
    *,
    sources: list[dict[str, Any]],
    stream_id: str | None,
    intent: str | None,
    confidence: float | None,
    lang: str | None,
    quick_replies: list[str] | None = None,
) -> Message:
    """Store the bot's answer, the buttons it offers, and what it detected."""
    c.intent, c.confidence, c.lang = intent, confidence, lang
    return await add_message(
        session,
        c,
        Sender.bot,
        text,
        # Under the name the site gave its bot (Settings → Widget), "Parley bot" by default.
        author_name=bot_name(await session.get(Site, c.site_id)),
        sources=sources,
        stream_id=stream_id,
        quick_replies=quick_replies,
    )


async def escalate(
    session: AsyncSession,
    c: Conversation,
    *,
    reason: str,
    intent: str | None = None,
    confidence: float | None = None,
    summary: str | None = None,
    sources: list[dict[str, Any]] | None = None,
    offline: bool = False,
    department: str | None = None,
) -> Conversation:
    """Hand the conversation to the human queue, recording why and what the bot knew.

    ``offline``: out of business hours nobody is coming soon; the conversation waits as
    an offline message (handoff["offline"]) and the widget shows the offline form.
    """
    if c.status in (Status.queued, Status.assigned):
        return c
    if c.status == Status.closed:
        raise Conflict("The conversation is closed.")
    c.status = Status.queued
    if department:
        # The team the intent or policy routes to; agents see it and routing rules use it.
        c.team = department
    if c.intent is None:
        c.intent, c.confidence = intent, confidence
    c.handoff = {
        "reason": reason,
        "intent": intent,
        "confidence": confidence,
        "summary": summary,
        "sources": sources or [],
        "department": department,
        "at": utcnow().isoformat(),
        "offline": offline,
    }
    session.add(c)
    await _status_event(session, c)
    # Routing (app/routing) picks the team and an agent in this same transaction.
    await emit(session, ConversationEscalated(c))
    return c


async def assign(session: AsyncSession, c: Conversation, agent: Agent) -> Conversation:
    """Give the conversation to an agent; the bot stops answering."""
    if c.status == Status.closed:
        raise Conflict("The conversation is closed.")
    if c.assignee_id == agent.id and c.status == Status.assigned:
        return c
    from_queue, previous = c.status == Status.queued, c.assignee_id
    c.assignee_id = agent.id
    c.status = Status.assigned
    c.assigned_at = utcnow()
    session.add(c)
    await add_message(session, c, Sender.system, f"{agent.name} joined the conversation.")
    await _status_event(session, c)
    await emit(session, ConversationAssigned(c, agent, from_queue))
    if previous is not None and previous != agent.id:
        await emit(session, ConversationReleased(c, previous))
    return c


async def agent_message(
    session: AsyncSession,
    c: Conversation,
    agent: Agent,
    client_message_id: str,
    text: str,
    attachment_ids: list[int] | None = None,
) -> Message:
    """An agent's reply; replying to an unassigned conversation takes it."""
    assert c.id is not None
    existing = await repo.agent_message_by_client_id(session, c.id, client_message_id)
    if existing is not None:
        return existing
    if c.status == Status.closed:
        raise Conflict("The conversation is closed.")
    # Only this agent's unsent uploads to this conversation.
    attached = await files.claim(session, attachment_ids or [], agent=agent, conversation=c)
    if c.assignee_id is None or c.status != Status.assigned:
        await assign(session, c, agent)
    return await add_message(
        session,
        c,
        Sender.agent,
        text,
        author=agent,
        client_message_id=client_message_id,
        attachments=attached,
    )


async def handback(session: AsyncSession, c: Conversation, agent: Agent) -> Conversation:
    """Give the conversation back to the bot; it resumes on the visitor's next message."""
    if c.status == Status.closed:
        raise Conflict("The conversation is closed.")
    if c.status == Status.bot:
        return c
    released = c.assignee_id
    c.status = Status.bot
    c.assignee_id = None
    if c.handoff is not None:
        # The handoff stays on record (reason, summary); when it ended is added.
        c.handoff = {
            **c.handoff,
            "handed_back_at": utcnow().isoformat(),
            "handed_back_by": agent.name,
        }
    session.add(c)
    await add_message(
        session, c, Sender.system, f"{agent.name} handed the conversation back to the bot."
    )
    await _status_event(session, c)
    await emit(session, ConversationReleased(c, released))
    return c


async def close(
    session: AsyncSession,
    c: Conversation,
    by: str,
    *,
    actor: str = "agent",
    agent_id: int | None = None,
    reason: str | None = None,
    note: str | None = None,
) -> Conversation:
    """Close the conversation, recording who closed it (agent, visitor, inactivity) and why.

    The ``conversation.closed`` event keeps the status it had, so a reopen knows whether
    a person had it (app/lifecycle) and reports know who closed it (app/reports).
    """
    if c.status == Status.closed:
        return c
    previous = c.status.value if hasattr(c.status, "value") else str(c.status)
    c.status = Status.closed
    c.closed_at = utcnow()
    session.add(c)
    await add_message(session, c, Sender.system, note or f"Conversation closed by {by}.")
    await record_event(
        session,
        c,
        "conversation.closed",
        {"by": actor, "agent_id": agent_id, "reason": reason, "previous_status": previous},
        visitor_visible=False,
    )
    await _status_event(session, c)
    # The agent has room again: routing (app/routing) drains the queue to them.
    await emit(session, ConversationReleased(c, c.assignee_id))
    return c


async def get_for_agent(session: AsyncSession, conversation_id: int) -> Conversation:
    """A conversation an agent may open."""
    c = await session.get(Conversation, conversation_id)
    if c is None:
        raise NotFound(f"Conversation {conversation_id} not found.")
    return c


async def _visitor_name(session: AsyncSession, c: Conversation) -> str:
    if c.contact_id is not None:
        contact = await session.get(Contact, c.contact_id)
        if contact and (contact.name or contact.email):
            return str(contact.name or contact.email)
    # A name they typed (the pre-chat form, an unverified identify): shown, never trusted.
    typed = (c.context or {}).get("name")
    if isinstance(typed, str) and typed.strip():
        return typed.strip()[:200]
    return f"Visitor #{c.id}"


async def summaries(session: AsyncSession, rows: list[Conversation]) -> list[ConversationSummary]:
    """Inbox rows for conversations."""
    names = await repo.agent_names(session, {c.assignee_id for c in rows if c.assignee_id})
    out = []
    for c in rows:
        assert c.id is not None
        out.append(
            ConversationSummary(
                id=c.id,
                site_id=c.site_id,
                status=c.status.value,
                priority=c.priority,
                team=c.team,
                assignee=AgentRef(id=c.assignee_id, name=names.get(c.assignee_id, "?"))
                if c.assignee_id
                else None,
                visitor_name=await _visitor_name(session, c),
                last_message=c.last_message,
                intent=c.intent,
                confidence=c.confidence,
                handoff_reason=(c.handoff or {}).get("reason"),
                created_at=c.created_at,
                updated_at=c.updated_at,
                offline=bool((c.handoff or {}).get("offline")),
                offline_email=(c.handoff or {}).get("email"),
                labels=list(c.labels or []),
                lang=c.lang,
                queued_at=c.queued_at,
                assigned_at=c.assigned_at,
            )
        )
    return out


async def detail(session: AsyncSession, c: Conversation) -> ConversationDetail:
    """The full agent view of a conversation."""
    (summary,) = await summaries(session, [c])
    assert c.id is not None
    msgs = await repo.messages(session, c.id)
    trail = await repo.page_views(session, c.session_id)
    context = dict(c.context)
    if trail:
        # Agents care where the visitor is now; the landing page stays available.
        context["landing_url"], context["landing_title"] = (
            c.context.get("url"),
            c.context.get("title"),
        )
        context["url"], context["title"] = trail[-1].url, trail[-1].title
    return ConversationDetail(
        **summary.model_dump(),
        context=context,
        page_views=[PageViewOut(url=p.url, title=p.title, at=p.created_at) for p in trail],
        messages=[MessageOut.of(m) for m in msgs],
        handoff=c.handoff,
        activity=await repo.routing_activity(session, c.id),
        closed_at=c.closed_at,
        csat=csat_of(c),
        contact=await _contact_brief(session, c),
        visitor_read_seq=c.visitor_read_seq or 0,
        agent_read_seq=c.agent_read_seq or 0,
    )


async def _contact_brief(session: AsyncSession, c: Conversation) -> Any:
    # Imported here: the contacts service builds on this module.
    from app.contacts.service import brief

    return await brief(session, c)
