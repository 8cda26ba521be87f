"""Routing endpoints: rules (leads and admins), claim and transfer (agents), and the
visitor's place in the queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.agents.models import Agent, Role
from app.conversations import repository as conv_repo
from app.conversations import service as conversations
from app.conversations.schemas import ConversationSummary
from app.db import SessionDep
from app.deps import CurrentAgent, CurrentVisitor, current_agent
from app.errors import Forbidden
from app.routing import ruleset, service
from app.routing.schemas import (
    DefaultIn,
    OrderIn,
    QueueOut,
    RuleIn,
    RuleOut,
    RulesOut,
    clean_labels,
)

router = APIRouter(prefix="/api/v1", tags=["routing"])


async def _lead(agent: Annotated[Agent, Depends(current_agent)]) -> Agent:
    if agent.role not in (Role.lead, Role.admin):
        raise Forbidden("Only support leads and admins can change routing rules.")
    return agent


CurrentLead = Annotated[Agent, Depends(_lead)]


# ------------------------------------------------------------------------------ rules


@router.get("/routing/rules", response_model=RulesOut)
async def list_rules(agent: CurrentAgent, session: SessionDep) -> RulesOut:
    """The rules in evaluation order (first match wins) and the default after them."""
    return await ruleset.listing(session)


@router.post("/routing/rules", response_model=RuleOut, status_code=201)
async def create_rule(body: RuleIn, lead: CurrentLead, session: SessionDep) -> RuleOut:
    """Add a rule at the end of the list (before the default)."""
    return RuleOut.of(await ruleset.create(session, body))


@router.put("/routing/rules/{rule_id}", response_model=RuleOut)
async def update_rule(
    rule_id: int, body: RuleIn, lead: CurrentLead, session: SessionDep
) -> RuleOut:
    """Replace a rule's name, conditions and actions."""
    return RuleOut.of(await ruleset.update(session, rule_id, body))


@router.delete("/routing/rules/{rule_id}", status_code=204)
async def delete_rule(rule_id: int, lead: CurrentLead, session: SessionDep) -> None:
    """Remove a rule."""
    await ruleset.delete(session, rule_id)


@router.put("/routing/order", response_model=RulesOut)
async def reorder_rules(body: OrderIn, lead: CurrentLead, session: SessionDep) -> RulesOut:
    """Set the evaluation order (every rule id but the default's, once)."""
    await ruleset.reorder(session, body.ids)
    return await ruleset.listing(session)


@router.put("/routing/default", response_model=RuleOut)
async def set_default(body: DefaultIn, lead: CurrentLead, session: SessionDep) -> RuleOut:
    """What happens when no rule matches (no actions: the bot's department decides)."""
    return RuleOut.of(await ruleset.set_default(session, body))


# ----------------------------------------------------------------- claim and transfer


class TransferIn(BaseModel):
    """Where the conversation goes, and a note only agents see."""

    model_config = ConfigDict(extra="forbid")

    team: str | None = Field(default=None, max_length=50)
    agent_id: int | None = None
    note: str | None = Field(default=None, max_length=2000)

    @field_validator("note")
    @classmethod
    def _note(cls, v: str | None) -> str | None:
        v = (v or "").replace("\x00", "").strip()
        return v or None

    @model_validator(mode="after")
    def _somewhere(self) -> TransferIn:
        if not self.team and self.agent_id is None:
            raise ValueError("choose a team or an agent to transfer to")
        return self


class LabelsIn(BaseModel):
    """The conversation's labels (replaces them)."""

    model_config = ConfigDict(extra="forbid")

    labels: list[str] = Field(max_length=20)

    _labels = field_validator("labels")(clean_labels)


async def _summary(session: SessionDep, c: object) -> ConversationSummary:
    return (await conversations.summaries(session, [c]))[0]  # type: ignore[list-item]


@router.post("/conversations/{conversation_id}/claim", response_model=ConversationSummary)
async def claim(
    conversation_id: int, agent: CurrentAgent, session: SessionDep
) -> ConversationSummary:
    """Take a conversation from the queue; 409 when someone else got it first."""
    c = await conversations.get_for_agent(session, conversation_id)
    await service.claim(session, c, agent)
    return await _summary(session, c)


@router.post("/conversations/{conversation_id}/transfer", response_model=ConversationSummary)
async def transfer(
    conversation_id: int, body: TransferIn, agent: CurrentAgent, session: SessionDep
) -> ConversationSummary:
    """Move the conversation to a team's queue or an online agent, with a private note."""
    c = await conversations.get_for_agent(session, conversation_id)
    await service.transfer(
        session, c, agent, team_key=body.team, agent_id=body.agent_id, note_text=body.note
    )
    return await _summary(session, c)


@router.put("/conversations/{conversation_id}/labels", response_model=ConversationSummary)
async def set_labels(
    conversation_id: int, body: LabelsIn, agent: CurrentAgent, session: SessionDep
) -> ConversationSummary:
    """Replace the conversation's labels."""
    c = await conversations.get_for_agent(session, conversation_id)
    await service.set_labels(session, c, body.labels, agent)
    return await _summary(session, c)


# ------------------------------------------------------------------------ the visitor


@router.get("/widget/queue", response_model=QueueOut)
async def my_place(visitor: CurrentVisitor, session: SessionDep) -> QueueOut:
    """The visitor's place in the queue and an honest wait estimate."""
    c = await conv_repo.open_for_session(session, visitor.session.id)
    return await service.queue_status(session, c)
