"""Agent shapes."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.agents.models import Agent, Availability, Role

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _enum(v: object) -> str:
    return str(getattr(v, "value", v))


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
    availability: str = "offline"
    availability_auto: bool = False  # set by idleness or a closed console, not by hand
    capacity: int = 3

    @classmethod
    def of(cls, a: Agent) -> AgentOut:
        """Build from the model."""
        assert a.id is not None
        return cls(
            id=a.id,
            name=a.name,
            email=a.email,
            role=str(a.role.value if hasattr(a.role, "value") else a.role),
            availability=_enum(a.availability),
            availability_auto=a.availability_auto,
            capacity=a.capacity,
        )


class AgentAdminOut(AgentOut):
    """An agent on the console's Team page."""

    is_active: bool
    teams: list[str]  # team keys
    open_conversations: int
    last_seen_at: datetime | None
    # Shown once, when the account was created without a password.
    temporary_password: str | None = None


def _clean_name(v: str) -> str:
    v = " ".join(v.split())
    if not v:
        raise ValueError("enter a name")
    return v


class AgentCreateIn(BaseModel):
    """A new console user (an admin creates it and hands over the password)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=320)
    role: Role = Role.agent
    password: str | None = Field(
        default=None, min_length=10, max_length=200, description="Empty: one is generated."
    )
    capacity: int = Field(default=3, ge=0, le=50)
    teams: list[str] = Field(default_factory=list, max_length=50)

    _name = field_validator("name")(_clean_name)

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        v = v.strip().lower()
        if not _EMAIL.match(v):
            raise ValueError("enter an email address such as sam@example.com")
        return v


class AgentUpdateIn(BaseModel):
    """Changes to an agent; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    capacity: int | None = Field(default=None, ge=0, le=50)
    teams: list[str] | None = Field(default=None, max_length=50)
    is_active: bool | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        return None if v is None else _clean_name(v)


class AvailabilityIn(BaseModel):
    """The agent's own status."""

    model_config = ConfigDict(extra="forbid")

    availability: Availability


class HeartbeatIn(BaseModel):
    """The console is open; ``active`` when someone used it since the last beat."""

    active: bool = False


class TokenOut(BaseModel):
    """An access token for the console."""

    access_token: str
    token_type: str = "bearer"
    agent: AgentOut
