"""Console endpoints for teams: any agent reads them; leads and admins change them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from app.agents.models import Agent, Role
from app.db import SessionDep
from app.deps import CurrentAgent, current_agent
from app.errors import Forbidden
from app.teams import repository as repo
from app.teams import service
from app.teams.schemas import TeamIn, TeamOut

router = APIRouter(prefix="/api/v1/teams", tags=["teams"])


async def _lead(agent: Annotated[Agent, Depends(current_agent)]) -> Agent:
    if agent.role not in (Role.lead, Role.admin):
        raise Forbidden("Only support leads and admins can change teams.")
    return agent


CurrentLead = Annotated[Agent, Depends(_lead)]


@router.get("", response_model=list[TeamOut])
async def list_teams(agent: CurrentAgent, session: SessionDep) -> list[TeamOut]:
    """Every team with its members, who is online and how many conversations wait."""
    return await service.out(session, list(await repo.all_teams(session)))


@router.post("", response_model=TeamOut, status_code=status.HTTP_201_CREATED)
async def create_team(body: TeamIn, lead: CurrentLead, session: SessionDep) -> TeamOut:
    """Add a team (its key is the department escalations and rules name)."""
    team = await service.save(session, body)
    return (await service.out(session, [team]))[0]


@router.put("/{team_id}", response_model=TeamOut)
async def update_team(
    team_id: int, body: TeamIn, lead: CurrentLead, session: SessionDep
) -> TeamOut:
    """Replace a team's settings and members."""
    team = await service.save(session, body, await service.get(session, team_id))
    return (await service.out(session, [team]))[0]


@router.delete("/{team_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_team(team_id: int, lead: CurrentLead, session: SessionDep) -> None:
    """Remove a team."""
    await service.delete(session, await service.get(session, team_id))
