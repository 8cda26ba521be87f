"""Read marks in and out."""

from __future__ import annotations

from pydantic import BaseModel, Field


class VisitorReadIn(BaseModel):
    """The visitor has seen their conversation up to ``seq``."""

    conversation_id: int = Field(ge=1)
    seq: int = Field(ge=0)


class AgentReadIn(BaseModel):
    """An agent has seen the conversation up to ``seq``."""

    seq: int = Field(ge=0)


class ReadOut(BaseModel):
    """Both read marks of a conversation after the call."""

    conversation_id: int
    visitor_read_seq: int
    agent_read_seq: int
