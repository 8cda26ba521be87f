"""Pre-chat endpoints: each site's form (console) and the visitor's answers (widget).

Any signed-in agent may read a form; support leads and admins change it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from app.agents.models import Agent
from app.db import SessionDep
from app.deps import CurrentAgent, CurrentVisitor, lead_only
from app.prechat import service
from app.prechat.schemas import PrechatAcceptedOut, PrechatAnswersIn, PrechatConfig, PrechatOut
from app.sites import service as sites

router = APIRouter(prefix="/api/v1/sites", tags=["pre-chat"])
widget_router = APIRouter(prefix="/api/v1/widget", tags=["widget"])

FormEditor = Annotated[Agent, lead_only("change the pre-chat form")]


@router.get("/{site_id}/prechat", response_model=PrechatOut)
async def get_prechat(site_id: int, agent: CurrentAgent, session: SessionDep) -> PrechatOut:
    """The site's pre-chat form (off, with no fields, until a lead sets one)."""
    site = await sites.get(session, site_id)
    return PrechatOut(site_id=site_id, prechat=service.config_of(site))


@router.put("/{site_id}/prechat", response_model=PrechatOut)
async def put_prechat(
    site_id: int, body: PrechatConfig, lead: FormEditor, session: SessionDep
) -> PrechatOut:
    """Replace the site's pre-chat form: on or off, its fields in order (422 names what is
    wrong; nothing changes then)."""
    site = await sites.get(session, site_id)
    return PrechatOut(site_id=site_id, prechat=await service.set_config(session, site, body))


@widget_router.post("/prechat", response_model=PrechatAcceptedOut)
async def answer_prechat(
    body: PrechatAnswersIn, visitor: CurrentVisitor, session: SessionDep
) -> PrechatAcceptedOut:
    """The visitor's pre-chat answers, checked against the site's form (422 names each
    field at fault and stores nothing); a name or email stays unverified."""
    stored = await service.submit(session, visitor.site, visitor.session, body.answers)
    return PrechatAcceptedOut(prechat=stored)
