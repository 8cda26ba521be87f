"""Agent accounts and sign-in."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.agents.models import Agent, Role
from app.errors import Unauthorized
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
