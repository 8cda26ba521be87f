"""Lifecycle endpoints: the visitor's "End chat", and each site's inactivity/reopen settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel

from app.agents.models import Agent
from app.conversations import service as conversations
from app.conversations.schemas import VisitorConversationOut, visitor_view
from app.db import SessionDep
from app.deps import CurrentAgent, CurrentVisitor, lead_only
from app.errors import NotFound
from app.lifecycle import service
from app.lifecycle.schemas import LifecycleSettings
from app.sites.models import Site

widget_router = APIRouter(prefix="/api/v1/widget", tags=["widget"])
router = APIRouter(prefix="/api/v1/sites", tags=["lifecycle"])
LifecycleEditor = Annotated[Agent, lead_only("change when conversations close and reopen")]


class ClosedOut(BaseModel):
    """The conversation the visitor just ended."""

    conversation: VisitorConversationOut


@widget_router.post("/close", response_model=ClosedOut)
async def end_chat(visitor: CurrentVisitor, session: SessionDep) -> ClosedOut:
    """End the visitor's open conversation (409 when nothing is open)."""
    c = await service.close_by_visitor(session, visitor.session)
    name = await conversations._assignee_name(session, c)
    return ClosedOut(conversation=visitor_view(c, name))


@router.get("/{site_id}/lifecycle", response_model=LifecycleSettings)
async def get_lifecycle(
    site_id: int, agent: CurrentAgent, session: SessionDep
) -> LifecycleSettings:
    """When the site's quiet conversations close, and how long they can reopen."""
    if await session.get(Site, site_id) is None:
        raise NotFound(f"Site {site_id} not found.")
    return await service.settings_for(session, site_id)


@router.put("/{site_id}/lifecycle", response_model=LifecycleSettings)
async def put_lifecycle(
    site_id: int, body: LifecycleSettings, lead: LifecycleEditor, session: SessionDep
) -> LifecycleSettings:
    """Change the site's inactivity close and reopen window (leads and admins)."""
    return await service.update_settings(session, site_id, body)
