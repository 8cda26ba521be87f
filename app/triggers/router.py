"""Trigger endpoints: the console's CRUD with stats (leads and admins), the widget's stats.

The widget gets its site's enabled triggers with the session (``site.triggers``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from app.agents.models import Agent, Role
from app.db import SessionDep
from app.deps import CurrentVisitor, current_agent
from app.errors import Forbidden
from app.triggers import service
from app.triggers.schemas import TriggerIn, TriggerOut, TriggerPatch, TriggerStatIn

router = APIRouter(prefix="/api/v1/triggers", tags=["triggers"])
widget_router = APIRouter(prefix="/api/v1/widget", tags=["widget"])


async def _trigger_admin(agent: Annotated[Agent, Depends(current_agent)]) -> Agent:
    if agent.role not in (Role.lead, Role.admin):
        raise Forbidden("Only support leads and admins can see and change proactive triggers.")
    return agent


TriggerAdmin = Annotated[Agent, Depends(_trigger_admin)]


@router.get("", response_model=list[TriggerOut])
async def list_triggers(
    lead: TriggerAdmin,
    session: SessionDep,
    site_id: Annotated[int, Query(description="The site whose triggers to list.")],
) -> list[TriggerOut]:
    """A site's triggers with their shows, opens, dismissals and open rate."""
    return await service.list_with_stats(session, site_id)


@router.post("", response_model=TriggerOut, status_code=status.HTTP_201_CREATED)
async def create_trigger(body: TriggerIn, lead: TriggerAdmin, session: SessionDep) -> TriggerOut:
    """Add a trigger to a site."""
    return await service.out(session, await service.create(session, body))


@router.get("/{trigger_id}", response_model=TriggerOut)
async def get_trigger(trigger_id: int, lead: TriggerAdmin, session: SessionDep) -> TriggerOut:
    """One trigger with its stats."""
    return await service.out(session, await service.get(session, trigger_id))


@router.patch("/{trigger_id}", response_model=TriggerOut)
async def update_trigger(
    trigger_id: int, body: TriggerPatch, lead: TriggerAdmin, session: SessionDep
) -> TriggerOut:
    """Change a trigger (e.g. ``{"enabled": false}``); the result must be valid as a whole."""
    t = await service.update(session, await service.get(session, trigger_id), body)
    return await service.out(session, t)


@router.delete("/{trigger_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_trigger(trigger_id: int, lead: TriggerAdmin, session: SessionDep) -> None:
    """Remove a trigger and its stats."""
    await service.delete(session, await service.get(session, trigger_id))


@widget_router.post("/trigger-stats", status_code=status.HTTP_204_NO_CONTENT)
async def record_stat(body: TriggerStatIn, visitor: CurrentVisitor, session: SessionDep) -> None:
    """The visitor saw, opened or dismissed a trigger's message (idempotent per visit)."""
    assert visitor.site.id is not None
    await service.record(
        session, visitor.site.id, visitor.session.id, body.trigger_id, body.kind, body.visit
    )
