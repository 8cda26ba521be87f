"""Team rules: keys are unique, members are active agents, changes drain the queue."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from app.agents.models import Availability
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound
from app.sites import hours as bh
from app.teams import repository as repo
from app.teams.models import Team
from app.teams.schemas import TeamIn, TeamOut


async def get(session: AsyncSession, team_id: int) -> Team:
    """The team, or NotFound."""
    team = await session.get(Team, team_id)
    if team is None:
        raise NotFound(f"Team {team_id} not found.")
    return team


async def _check_members(session: AsyncSession, ids: list[int]) -> None:
    found = {a.id for a in await repo.active_agents(session, ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise InvalidInput(
            [{"loc": ["body", "member_ids"], "msg": f"No active agent with id {missing[0]}."}]
        )


async def save(session: AsyncSession, body: TeamIn, team: Team | None = None) -> Team:
    """Create a team, or replace one's settings and members."""
    from app.routing.service import drain  # routing builds on teams

    other = await repo.by_key(session, body.key)
    if other is not None and (team is None or other.id != team.id):
        raise Conflict(f"A team with the key {body.key!r} exists already.")
    await _check_members(session, body.member_ids)
    team = team or Team(key=body.key, name=body.name)
    team.key, team.name = body.key, body.name
    team.business_hours = body.business_hours.stored() if body.business_hours else None
    team.assignment = body.assignment
    team.answer_timeout_seconds = body.answer_timeout_seconds
    team.updated_at = utcnow()
    session.add(team)
    await session.flush()
    assert team.id is not None
    await repo.set_members(session, team.id, body.member_ids)
    await drain(session)  # new members may take what waits
    return team


async def delete(session: AsyncSession, team: Team) -> None:
    """Remove a team (its conversations keep the key; anyone may then take them)."""
    await session.delete(team)
    await session.flush()


async def out(session: AsyncSession, teams: list[Team]) -> list[TeamOut]:
    """Teams with members, who is online and how many wait, for the console."""
    from app.routing.service import waiting

    members = await repo.members(session)
    agents = {a.id: a for a in await repo.active_agents(session)}
    queue = await waiting(session)
    now = utcnow()
    result = []
    for t in teams:
        assert t.id is not None
        ids = members.get(t.id, [])
        online = sum(
            1
            for i in ids
            if i in agents and str(agents[i].availability) in (Availability.online, "online")
        )
        result.append(
            TeamOut(
                id=t.id,
                key=t.key,
                name=t.name,
                business_hours=t.business_hours,
                open_now=bh.is_open(t.business_hours, now) if t.business_hours else True,
                assignment=str(t.assignment),
                answer_timeout_seconds=t.answer_timeout_seconds,
                member_ids=sorted(ids),
                agents_online=online,
                waiting=sum(1 for c in queue if c.team == t.key),
            )
        )
    return result
