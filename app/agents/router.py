"""Sign-in, the current agent, and the agents' live stream."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Request, status
from sqlalchemy import update
from sqlmodel import col, select

from app.agents import service
from app.agents.models import Agent, Role
from app.agents.schemas import (
    AgentAdminOut,
    AgentCreateIn,
    AgentOut,
    AgentUpdateIn,
    AvailabilityIn,
    HeartbeatIn,
    LoginIn,
    TokenOut,
)
from app.config import get_settings
from app.db import SessionDep, utcnow
from app.deps import CurrentAgent, current_agent
from app.errors import Forbidden, NotFound
from app.events.service import unit_of_work
from app.events.sse import parse_last_event_id, site_events, sse_response
from app.security import agent_token
from app.sites.models import Site

router = APIRouter(prefix="/api/v1", tags=["agents"])

# While an agent's stream is open their console counts as seen this often; the routing
# sweep turns agents offline when nothing has been seen for agent_offline_after_seconds.
PRESENCE_SECONDS = 30.0


async def _admin(agent: Annotated[Agent, Depends(current_agent)]) -> Agent:
    if agent.role != Role.admin:
        raise Forbidden("Only admins can add agents.")
    return agent


async def _lead(agent: Annotated[Agent, Depends(current_agent)]) -> Agent:
    if agent.role not in (Role.lead, Role.admin):
        raise Forbidden("Only support leads and admins can change agents.")
    return agent


CurrentAdmin = Annotated[Agent, Depends(_admin)]
CurrentLeadOrAdmin = Annotated[Agent, Depends(_lead)]


async def _seen(agent_id: int) -> None:
    async with unit_of_work() as s:
        await s.exec(update(Agent).where(col(Agent.id) == agent_id).values(last_seen_at=utcnow()))


async def _with_presence(agent_id: int, events: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """Forward the stream, marking the agent seen while it is open and when it closes."""

    async def beat() -> None:
        while True:
            with contextlib.suppress(Exception):
                await _seen(agent_id)
            await asyncio.sleep(PRESENCE_SECONDS)

    task = asyncio.create_task(beat())
    try:
        async for item in events:
            yield item
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        # The offline countdown starts when the last stream closes, not at its last beat
        # (shielded: the disconnect that got us here cancels every other await).
        with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
            await _seen(agent_id)


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
    assert agent.id is not None
    return sse_response(
        _with_presence(agent.id, site_events(site_ids, last)), get_settings().sse_ping_seconds
    )


@router.get("/agents", response_model=list[AgentAdminOut])
async def list_agents(agent: CurrentAgent, session: SessionDep) -> list[AgentAdminOut]:
    """Every agent with role, teams, capacity, availability and open conversations."""
    return await service.admin_view(session, await service.all_agents(session))


@router.post("/agents", response_model=AgentAdminOut, status_code=status.HTTP_201_CREATED)
async def create_agent(
    body: AgentCreateIn, admin: CurrentAdmin, session: SessionDep
) -> AgentAdminOut:
    """Add a console user; without a password one is generated and shown once."""
    created, password = await service.create_agent(session, body)
    (out,) = await service.admin_view(session, [created])
    return out.model_copy(update={"temporary_password": password})


@router.patch("/agents/{agent_id}", response_model=AgentAdminOut)
async def update_agent(
    agent_id: int, body: AgentUpdateIn, lead: CurrentLeadOrAdmin, session: SessionDep
) -> AgentAdminOut:
    """Change an agent's teams and capacity (leads, admins) or name, role, access (admins)."""
    target = await session.get(Agent, agent_id)
    if target is None:
        raise NotFound(f"Agent {agent_id} not found.")
    await service.update_agent(session, target, body, lead)
    (out,) = await service.admin_view(session, [target])
    return out


@router.put("/agents/me/availability", response_model=AgentOut)
async def set_my_availability(
    body: AvailabilityIn, agent: CurrentAgent, session: SessionDep
) -> AgentOut:
    """Online (routing may assign), away or offline — set by hand in the console."""
    from app.routing.service import set_availability

    await set_availability(session, agent, body.availability)
    return AgentOut.of(agent)


@router.post("/agents/me/heartbeat", response_model=AgentOut)
async def heartbeat(body: HeartbeatIn, agent: CurrentAgent, session: SessionDep) -> AgentOut:
    """The console is open (``active``: someone used it); brings back an automatic away."""
    from app.routing.service import heartbeat as beat

    await beat(session, agent, active=body.active)
    return AgentOut.of(agent)
