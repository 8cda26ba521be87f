"""Console endpoints for sites: the list, business hours and the widget's theme.

Any signed-in agent may read them; changing them needs a support lead or an admin.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from app.agents.models import Agent
from app.db import SessionDep
from app.deps import CurrentAgent, lead_only
from app.sites import repository as repo
from app.sites import service
from app.sites.schemas import BusinessHoursIn, BusinessHoursOut, SiteSummary, ThemeOut
from app.sites.theme import Theme

router = APIRouter(prefix="/api/v1/sites", tags=["sites"])


SiteAdmin = Annotated[Agent, lead_only("change business hours")]
ThemeEditor = Annotated[Agent, lead_only("change the widget's appearance")]


@router.get("", response_model=list[SiteSummary])
async def list_sites(agent: CurrentAgent, session: SessionDep) -> list[SiteSummary]:
    """Every site the console manages."""
    return [SiteSummary.of(s) for s in await repo.all_sites(session)]


@router.get("/{site_id}/business-hours", response_model=BusinessHoursOut)
async def get_business_hours(
    site_id: int, agent: CurrentAgent, session: SessionDep
) -> BusinessHoursOut:
    """The site's business hours (null: always open) and whether the team is in now."""
    return service.hours_out(await service.get(session, site_id))


@router.put("/{site_id}/business-hours", response_model=BusinessHoursOut)
async def set_business_hours(
    site_id: int, body: BusinessHoursIn, lead: SiteAdmin, session: SessionDep
) -> BusinessHoursOut:
    """Replace the site's business hours; null makes it always open."""
    site = await service.get(session, site_id)
    await service.set_business_hours(session, site, body.business_hours)
    return service.hours_out(site)


@router.get("/{site_id}/theme", response_model=ThemeOut)
async def get_theme(site_id: int, agent: CurrentAgent, session: SessionDep) -> ThemeOut:
    """The widget's look and words for the site, defaults filled in."""
    site = await service.get(session, site_id)
    return ThemeOut(site_id=site_id, theme=service.theme_of(site))


@router.put("/{site_id}/theme", response_model=ThemeOut)
async def set_theme(site_id: int, body: Theme, lead: ThemeEditor, session: SessionDep) -> ThemeOut:
    """Replace the widget's theme: colour, position, greeting, launcher label, bot name,
    avatar and string overrides (422 names what is wrong; nothing changes then). Visitors
    get it with their next session call (page load)."""
    site = await service.get(session, site_id)
    return ThemeOut(site_id=site_id, theme=await service.set_theme(session, site, body))
