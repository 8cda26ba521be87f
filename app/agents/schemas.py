"""Agent shapes."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.agents.models import Agent


class LoginIn(BaseModel):
    """Console sign-in."""

    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=200)


class AgentOut(BaseModel):
    """An agent as the console shows it."""

    id: int
    name: str
    email: str
    role: str

    @classmethod
    def of(cls, a: Agent) -> AgentOut:
        """Build from the model."""
        assert a.id is not None
        return cls(
            id=a.id,
            name=a.name,
            email=a.email,
            role=str(a.role.value if hasattr(a.role, "value") else a.role),
        )


class TokenOut(BaseModel):
    """An access token for the console."""

    access_token: str
    token_type: str = "bearer"
    agent: AgentOut
