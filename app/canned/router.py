"""Canned response endpoints: every agent reads and uses them; leads and admins manage
shared and team ones, each agent their personal ones."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.canned import service
from app.canned.schemas import CannedIn, CannedOut, CannedPatch, RenderOut
from app.conversations import service as conversations
from app.db import SessionDep
from app.deps import CurrentAgent

router = APIRouter(prefix="/api/v1/canned-responses", tags=["canned responses"])


@router.get("", response_model=list[CannedOut])
async def list_canned(
    agent: CurrentAgent,
    session: SessionDep,
    site_id: Annotated[int | None, Query(description="Only this site's.")] = None,
    q: Annotated[str | None, Query(max_length=100, description="Search words.")] = None,
    usable: Annotated[bool, Query(description="Only those offered in my composer.")] = False,
) -> list[CannedOut]:
    """The responses I may see: shared, every team's, and my personal ones, by shortcut."""
    v = await service.viewer(session, agent)
    return await service.listing(session, v, site_id, query=q, only_usable=usable)


@router.post("", response_model=CannedOut, status_code=status.HTTP_201_CREATED)
async def create_canned(body: CannedIn, agent: CurrentAgent, session: SessionDep) -> CannedOut:
    """Add a response (shared and team ones: leads and admins)."""
    v = await service.viewer(session, agent)
    return (await service.outs(session, v, [await service.create(session, v, body)]))[0]


@router.get("/{canned_id}", response_model=CannedOut)
async def get_canned(canned_id: int, agent: CurrentAgent, session: SessionDep) -> CannedOut:
    """One response."""
    v = await service.viewer(session, agent)
    return (await service.outs(session, v, [await service.get(session, v, canned_id)]))[0]


@router.patch("/{canned_id}", response_model=CannedOut)
async def update_canned(
    canned_id: int, body: CannedPatch, agent: CurrentAgent, session: SessionDep
) -> CannedOut:
    """Change a response's shortcut, title, text or scope."""
    v = await service.viewer(session, agent)
    r = await service.update(session, v, await service.get(session, v, canned_id), body)
    return (await service.outs(session, v, [r]))[0]


@router.delete("/{canned_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_canned(canned_id: int, agent: CurrentAgent, session: SessionDep) -> None:
    """Remove a response."""
    v = await service.viewer(session, agent)
    await service.delete(session, v, await service.get(session, v, canned_id))


@router.get("/{canned_id}/render", response_model=RenderOut)
async def render_canned(
    canned_id: int,
    agent: CurrentAgent,
    session: SessionDep,
    conversation_id: Annotated[int, Query(ge=1)],
) -> RenderOut:
    """The text to put in the composer: placeholders filled for this conversation and me."""
    v = await service.viewer(session, agent)
    r = await service.get(session, v, canned_id)
    c = await conversations.get_for_agent(session, conversation_id)
    return await service.render(session, agent, r, c)
