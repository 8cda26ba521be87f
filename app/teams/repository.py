"""Team, membership and agent-load queries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.agents.models import Agent
from app.conversations.models import Conversation, Status
from app.teams.models import Team, TeamMember


async def all_teams(session: AsyncSession) -> Sequence[Team]:
    """Every team, by name."""
    return (await session.exec(select(Team).order_by(col(Team.name)))).all()


async def by_key(session: AsyncSession, key: str) -> Team | None:
    """The team with this department key."""
    return (await session.exec(select(Team).where(Team.key == key))).first()


async def members(session: AsyncSession) -> dict[int, list[int]]:
    """Agent ids per team id."""
    out: dict[int, list[int]] = {}
    for m in (await session.exec(select(TeamMember))).all():
        out.setdefault(m.team_id, []).append(m.agent_id)
    return out


async def member_ids(session: AsyncSession, team_id: int) -> list[int]:
    """The team's agents."""
    rows = await session.exec(select(TeamMember.agent_id).where(TeamMember.team_id == team_id))
    return list(rows.all())


async def teams_of(session: AsyncSession, agent_id: int) -> list[Team]:
    """The agent's teams."""
    rows = await session.exec(
        select(Team)
        .join(TeamMember, col(TeamMember.team_id) == col(Team.id))
        .where(TeamMember.agent_id == agent_id)
        .order_by(col(Team.name))
    )
    return list(rows.all())


async def set_members(session: AsyncSession, team_id: int, agent_ids: list[int]) -> None:
    """Replace the team's members."""
    await session.exec(delete(TeamMember).where(col(TeamMember.team_id) == team_id))
    for agent_id in dict.fromkeys(agent_ids):
        session.add(TeamMember(team_id=team_id, agent_id=agent_id))
    await session.flush()


async def set_teams_of(session: AsyncSession, agent_id: int, team_ids: list[int]) -> None:
    """Replace the agent's teams."""
    await session.exec(delete(TeamMember).where(col(TeamMember.agent_id) == agent_id))
    for team_id in dict.fromkeys(team_ids):
        session.add(TeamMember(team_id=team_id, agent_id=agent_id))
    await session.flush()


async def active_agents(session: AsyncSession, ids: list[int] | None = None) -> Sequence[Agent]:
    """Active agents (of these ids), by id."""
    q = select(Agent).where(col(Agent.is_active).is_(True))
    if ids is not None:
        q = q.where(col(Agent.id).in_(ids))
    return (await session.exec(q.order_by(col(Agent.id)))).all()


async def open_counts(session: AsyncSession, agent_ids: list[int] | None = None) -> dict[int, int]:
    """Open (assigned, not closed) conversations per agent."""
    q = (
        select(Conversation.assignee_id, func.count())
        .where(Conversation.status == Status.assigned)
        .where(col(Conversation.assignee_id).is_not(None))
        .group_by(col(Conversation.assignee_id))
    )
    if agent_ids is not None:
        q = q.where(col(Conversation.assignee_id).in_(agent_ids))
    return {int(a): int(n) for a, n in (await session.exec(q)).all() if a is not None}
