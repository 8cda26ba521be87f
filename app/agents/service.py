"""Agent accounts and sign-in."""

from __future__ import annotations

import secrets

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.agents.models import Agent, Availability, Role
from app.agents.schemas import AgentAdminOut, AgentCreateIn, AgentOut, AgentUpdateIn
from app.errors import Conflict, Forbidden, InvalidInput, Unauthorized
from app.security import hash_password, verify_password

# Verifying against a dummy hash when the email is unknown keeps timing uniform.
_DUMMY_HASH = hash_password("not-a-real-password")


async def authenticate(session: AsyncSession, email: str, password: str) -> Agent:
    """The agent with these credentials, or Unauthorized."""
    agent = (await session.exec(select(Agent).where(Agent.email == email.strip().lower()))).first()
    if agent is None:
        verify_password(password, _DUMMY_HASH)
        raise Unauthorized("Wrong email or password.")
    if not verify_password(password, agent.password_hash) or not agent.is_active:
        raise Unauthorized("Wrong email or password.")
    return agent


async def ensure_agent(
    session: AsyncSession, email: str, name: str, password: str, role: Role
) -> tuple[Agent, bool]:
    """Create the agent unless one with that email exists; returns (agent, created)."""
    email = email.strip().lower()
    agent = (await session.exec(select(Agent).where(Agent.email == email))).first()
    if agent is not None:
        return agent, False
    agent = Agent(email=email, name=name, password_hash=hash_password(password), role=role)
    session.add(agent)
    await session.flush()
    return agent, True


# --------------------------------------------------------------- the Team settings page


async def _team_ids(session: AsyncSession, keys: list[str]) -> list[int]:
    from app.teams import repository as teams

    ids: list[int] = []
    for key in dict.fromkeys(k.strip().lower() for k in keys):
        team = await teams.by_key(session, key)
        if team is None or team.id is None:
            raise InvalidInput([{"loc": ["body", "teams"], "msg": f"There is no team {key!r}."}])
        ids.append(team.id)
    return ids


async def admin_view(session: AsyncSession, agents: list[Agent]) -> list[AgentAdminOut]:
    """Agents with their teams, load and presence."""
    from app.teams import repository as teams

    keys = {t.id: t.key for t in await teams.all_teams(session)}
    membership = await teams.members(session)
    loads = await teams.open_counts(session)
    out = []
    for a in agents:
        assert a.id is not None
        base = AgentOut.of(a).model_dump()
        out.append(
            AgentAdminOut(
                **base,
                is_active=a.is_active,
                teams=sorted(keys[t] for t, ids in membership.items() if a.id in ids and t in keys),
                open_conversations=loads.get(a.id, 0),
                last_seen_at=a.last_seen_at,
            )
        )
    return out


async def all_agents(session: AsyncSession) -> list[Agent]:
    """Every agent, active first, by name."""
    rows = (await session.exec(select(Agent))).all()
    return sorted(rows, key=lambda a: (not a.is_active, a.name.lower()))


async def create_agent(session: AsyncSession, body: AgentCreateIn) -> tuple[Agent, str | None]:
    """Create a console user; returns the generated password when none was given."""
    from app.teams import repository as teams

    if (await session.exec(select(Agent).where(Agent.email == body.email))).first():
        raise Conflict(f"An agent with the email {body.email} exists already.")
    team_ids = await _team_ids(session, body.teams)
    generated = None if body.password else secrets.token_urlsafe(12)
    agent = Agent(
        email=body.email,
        name=body.name,
        role=body.role,
        capacity=body.capacity,
        password_hash=hash_password(body.password or generated or ""),
    )
    session.add(agent)
    await session.flush()
    assert agent.id is not None
    await teams.set_teams_of(session, agent.id, team_ids)
    return agent, generated


async def update_agent(
    session: AsyncSession, agent: Agent, body: AgentUpdateIn, by: Agent
) -> Agent:
    """Change an agent: admins change anything; leads change teams and capacity only."""
    from app.routing.service import drain
    from app.teams import repository as teams

    admin_only = {"name": body.name, "role": body.role, "is_active": body.is_active}
    if by.role != Role.admin and any(v is not None for v in admin_only.values()):
        raise Forbidden("Only admins can change an agent's name, role or access.")
    if agent.id == by.id and (
        (body.role is not None and body.role != Role.admin and by.role == Role.admin)
        or body.is_active is False
    ):
        raise Conflict("You cannot remove your own admin role or access.")
    if body.name is not None:
        agent.name = body.name
    if body.role is not None:
        agent.role = body.role
    if body.is_active is not None:
        agent.is_active = body.is_active
        if not body.is_active:
            agent.availability = Availability.offline
    if body.capacity is not None:
        agent.capacity = body.capacity
    session.add(agent)
    await session.flush()
    if body.teams is not None:
        assert agent.id is not None
        await teams.set_teams_of(session, agent.id, await _team_ids(session, body.teams))
    await drain(session)  # more room or new teams: the queue may move
    return agent
