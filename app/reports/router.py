"""The reports API (support leads and admins)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from app.db import SessionDep
from app.deps import CurrentLead
from app.reports import service
from app.reports.schemas import Report

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


@router.get("", response_model=Report)
async def report(
    lead: CurrentLead,
    session: SessionDep,
    days: Annotated[int | None, Query(ge=1, le=service.MAX_DAYS, description="Last N days")] = None,
    start: Annotated[date | None, Query(description="First day (with end)")] = None,
    end: Annotated[date | None, Query(description="Last day, included")] = None,
    tz: Annotated[str, Query(max_length=64, description="IANA time zone of the days")] = "UTC",
    team: Annotated[str | None, Query(max_length=100)] = None,
    agent_id: Annotated[int | None, Query(ge=1)] = None,
    site_id: Annotated[int | None, Query(ge=1)] = None,
) -> Report:
    """Volumes, AI resolution and handoff rates and reasons, first-response, wait and
    handle times, and CSAT for a period (default: the last 30 days), per team and agent."""
    p = service.period(days, start, end, tz)
    return await service.overview(session, p, team=team, agent_id=agent_id, site_id=site_id)
