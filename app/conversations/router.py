"""Agent endpoints for the inbox and a conversation."""

from __future__ import annotations

from fastapi import APIRouter, Query, status

from app.agents.models import Agent
from app.conversations import repository as repo
from app.conversations import service
from app.conversations.schemas import (
    AssignIn,
    ConversationDetail,
    ConversationList,
    ConversationSummary,
    MessageIn,
    MessageOut,
    TypingIn,
)
from app.db import SessionDep
from app.deps import CurrentAgent
from app.errors import NotFound
from app.events.service import publish_ephemeral

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


@router.get("", response_model=ConversationList)
async def list_conversations(
    agent: CurrentAgent,
    session: SessionDep,
    view: str = Query("all", pattern="^(all|unassigned|mine|team|closed)$"),
    team: str | None = Query(None, max_length=50, pattern=r"^[a-z][a-z0-9_-]*$"),
    status: str | None = Query(None, pattern="^(bot|queued|assigned|closed)$"),
    label: str | None = Query(None, max_length=40, pattern=r"^[a-z0-9][a-z0-9 _-]*$"),
    language: str | None = Query(None, max_length=35, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]+)*$"),
) -> ConversationList:
    """An inbox view (Mine, Unassigned = the queue, Team = my teams', All, Closed), narrowed
    by team, status, label or language, with the counts of every view."""
    assert agent.id is not None
    from app.teams.repository import teams_of

    keys = [t.key for t in await teams_of(session, agent.id)]
    filters = repo.InboxFilters(
        team=team, status=status, label=label, language=language.lower() if language else None
    )
    rows = list(await repo.inbox(session, view, agent.id, team_keys=keys, filters=filters))
    return ConversationList(
        items=await service.summaries(session, rows),
        counts=await repo.inbox_counts(session, agent.id, keys),
    )


@router.get("/{conversation_id}", response_model=ConversationDetail)
async def get_conversation(
    conversation_id: int, agent: CurrentAgent, session: SessionDep
) -> ConversationDetail:
    """Transcript, context, page trail and handoff of one conversation."""
    c = await service.get_for_agent(session, conversation_id)
    return await service.detail(session, c)


@router.post(
    "/{conversation_id}/messages", response_model=MessageOut, status_code=status.HTTP_201_CREATED
)
async def reply(
    conversation_id: int, body: MessageIn, agent: CurrentAgent, session: SessionDep
) -> MessageOut:
    """Reply to the visitor (takes the conversation if nobody has it)."""
    c = await service.get_for_agent(session, conversation_id)
    m = await service.agent_message(
        session, c, agent, body.client_message_id, body.text, body.attachments
    )
    return MessageOut.of(m)


@router.post("/{conversation_id}/assign", response_model=ConversationSummary)
async def assign(
    conversation_id: int, body: AssignIn, agent: CurrentAgent, session: SessionDep
) -> ConversationSummary:
    """Assign the conversation to an agent (default: me)."""
    c = await service.get_for_agent(session, conversation_id)
    target = agent if body.agent_id is None else await session.get(Agent, body.agent_id)
    if target is None or not target.is_active:
        raise NotFound("No such agent.")
    await service.assign(session, c, target)
    return (await service.summaries(session, [c]))[0]


@router.post("/{conversation_id}/handback", response_model=ConversationSummary)
async def handback(
    conversation_id: int, agent: CurrentAgent, session: SessionDep
) -> ConversationSummary:
    """Hand the conversation back to the bot (it answers the visitor's next message)."""
    c = await service.get_for_agent(session, conversation_id)
    await service.handback(session, c, agent)
    return (await service.summaries(session, [c]))[0]


@router.post("/{conversation_id}/close", response_model=ConversationSummary)
async def close(
    conversation_id: int, agent: CurrentAgent, session: SessionDep
) -> ConversationSummary:
    """Close the conversation."""
    c = await service.get_for_agent(session, conversation_id)
    await service.close(session, c, by=agent.name, actor="agent", agent_id=agent.id)
    return (await service.summaries(session, [c]))[0]


@router.post("/{conversation_id}/typing", status_code=status.HTTP_204_NO_CONTENT)
async def typing(
    conversation_id: int, body: TypingIn, agent: CurrentAgent, session: SessionDep
) -> None:
    """Show the visitor, and the other agents viewing the conversation, that an agent is
    typing a reply. Agents get who (``agent``: id and name); the visitor's stream strips it
    (events/sse.py), as it does the inbox row of ``conversation.updated``. A private note
    is not typing: the console sends nothing while its composer is in note mode."""
    c = await service.get_for_agent(session, conversation_id)
    await publish_ephemeral(
        c,
        "typing",
        {
            "conversation_id": conversation_id,
            "sender": "agent",
            "typing": body.typing,
            "agent": {"id": agent.id, "name": agent.name},
        },
    )
