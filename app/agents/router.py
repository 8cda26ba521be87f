"""Sign-in, the current agent, and the agents' live stream."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlmodel import select

from app.agents import service
from app.agents.schemas import AgentOut, LoginIn, TokenOut
from app.config import get_settings
from app.db import SessionDep
from app.deps import CurrentAgent
from app.events.sse import parse_last_event_id, site_events, sse_response
from app.security import agent_token
from app.sites.models import Site

router = APIRouter(prefix="/api/v1", tags=["agents"])


@router.post("/auth/login", response_model=TokenOut)
async def login(body: LoginIn, session: SessionDep) -> TokenOut:
    """Exchange email and password for an access token."""
    agent = await service.authenticate(session, body.email, body.password)
    assert agent.id is not None
    return TokenOut(access_token=agent_token(agent.id), agent=AgentOut.of(agent))


@router.get("/agents/me", response_model=AgentOut)
async def me(agent: CurrentAgent) -> AgentOut:
    """The signed-in agent."""
    return AgentOut.of(agent)


@router.get("/agent/stream")
async def agent_stream(agent: CurrentAgent, session: SessionDep, request: Request):  # type: ignore[no-untyped-def]
    """Every conversation event of the agent's sites (SSE; resumable with Last-Event-ID)."""
    site_ids = [s.id for s in (await session.exec(select(Site))).all() if s.id is not None]
    last = parse_last_event_id(request.headers.get("last-event-id"))
    return sse_response(site_events(site_ids, last), get_settings().sse_ping_seconds)
