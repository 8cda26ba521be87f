"""Storing routing rules: checked against the teams and agents they name, kept in order,
with exactly one default at the end. Services only flush."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from app.agents.models import Agent
from app.db import utcnow
from app.errors import InvalidInput, NotFound
from app.routing.models import RoutingRule
from app.routing.schemas import Actions, DefaultIn, RuleIn, RuleOut, RulesOut
from app.routing.service import rules
from app.teams import repository as teams_repo

DEFAULT_NAME = "Default"


async def _check_actions(session: AsyncSession, actions: Actions) -> None:
    if actions.team is not None and await teams_repo.by_key(session, actions.team) is None:
        raise InvalidInput(
            [{"loc": ["body", "actions", "team"], "msg": f"There is no team {actions.team!r}."}]
        )
    if actions.agent_id is not None:
        agent = await session.get(Agent, actions.agent_id)
        if agent is None or not agent.is_active:
            raise InvalidInput(
                [{"loc": ["body", "actions", "agent_id"], "msg": "There is no such active agent."}]
            )


async def default_rule(session: AsyncSession) -> RoutingRule:
    """The default rule, created (with no actions) the first time it is needed."""
    for r in await rules(session):
        if r.is_default:
            return r
    r = RoutingRule(name=DEFAULT_NAME, is_default=True, position=0, conditions=[], actions={})
    session.add(r)
    await session.flush()
    return r


async def listing(session: AsyncSession) -> RulesOut:
    """The rules in evaluation order and the default."""
    default = await default_rule(session)
    return RulesOut(
        rules=[RuleOut.of(r) for r in await rules(session) if not r.is_default],
        default=RuleOut.of(default),
    )


def _stored(body: RuleIn) -> tuple[list[dict[str, object]], dict[str, object]]:
    conditions = [c.model_dump(mode="json", exclude_none=True) for c in body.conditions]
    actions = body.actions.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    return conditions, actions


async def create(session: AsyncSession, body: RuleIn) -> RoutingRule:
    """Add a rule at the end (just before the default)."""
    await _check_actions(session, body.actions)
    existing = [r for r in await rules(session) if not r.is_default]
    conditions, actions = _stored(body)
    r = RoutingRule(
        name=body.name,
        enabled=body.enabled,
        position=(max((x.position for x in existing), default=0) + 1),
        conditions=conditions,
        actions=actions,
    )
    session.add(r)
    await session.flush()
    return r


async def get(session: AsyncSession, rule_id: int) -> RoutingRule:
    """A rule, or NotFound."""
    r = await session.get(RoutingRule, rule_id)
    if r is None:
        raise NotFound(f"Routing rule {rule_id} not found.")
    return r


async def update(session: AsyncSession, rule_id: int, body: RuleIn) -> RoutingRule:
    """Replace a rule's name, conditions and actions (its place stays)."""
    r = await get(session, rule_id)
    if r.is_default:
        raise InvalidInput("The default rule has no conditions: change its actions instead.")
    await _check_actions(session, body.actions)
    r.conditions, r.actions = _stored(body)
    r.name, r.enabled, r.updated_at = body.name, body.enabled, utcnow()
    session.add(r)
    await session.flush()
    return r


async def set_default(session: AsyncSession, body: DefaultIn) -> RoutingRule:
    """What happens when no rule matches."""
    await _check_actions(session, body.actions)
    r = await default_rule(session)
    r.actions = body.actions.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    r.updated_at = utcnow()
    session.add(r)
    await session.flush()
    return r


async def delete(session: AsyncSession, rule_id: int) -> None:
    """Remove a rule (the default stays)."""
    r = await get(session, rule_id)
    if r.is_default:
        raise InvalidInput("The default rule cannot be deleted.")
    await session.delete(r)
    await session.flush()


async def reorder(session: AsyncSession, ids: list[int]) -> None:
    """Put the rules in this order; every rule but the default must be listed once."""
    current = {r.id: r for r in await rules(session) if not r.is_default and r.id is not None}
    if sorted(ids) != sorted(current) or len(set(ids)) != len(ids):
        raise InvalidInput(
            [{"loc": ["body", "ids"], "msg": "List every rule (not the default) exactly once."}]
        )
    for position, rule_id in enumerate(ids, start=1):
        r = current[rule_id]
        if r.position != position:
            r.position = position
            session.add(r)
    await session.flush()
