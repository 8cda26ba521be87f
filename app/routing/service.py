"""Routing and assignment: rules pick team, priority, labels or an agent; the queue waits
for an online agent with room. Services only flush.

Every decision is recorded on the conversation as an agents-only event (``routing.*``,
``visitor_visible=False``) whose ``text`` says what happened and why.

Concurrency: a conversation is taken by a conditional ``UPDATE … WHERE assignee_id IS
NULL AND status = 'queued'`` whose row count says who won, so two agents (or an agent
and the router) never both get it. Writing the agent's row first serialises
assignments to one agent, so two transactions cannot both fill their last free slot.
"""

from __future__ import annotations

import asyncio
import logging
import math
import statistics
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.agents.models import Agent, Availability
from app.contacts.models import Contact
from app.conversations import repository as conv_repo
from app.conversations import service as conversations
from app.conversations.models import Conversation, Message, Sender, Status
from app.db import sessionmaker, utcnow
from app.errors import Conflict, InvalidInput, NotFound
from app.events.bus import get_bus, visitor_channel
from app.events.domain import (
    ConversationAssigned,
    ConversationEscalated,
    ConversationReleased,
    listen,
)
from app.events.service import after_commit, record_private
from app.routing import rules as engine
from app.routing.models import Assignment, RoutingRule
from app.routing.schemas import QueueOut
from app.sites import hours as bh
from app.sites.models import Site
from app.teams import repository as teams_repo
from app.teams.models import AssignmentMode, Team

log = logging.getLogger(__name__)

WAIT_SAMPLES = 20  # recent waits the estimate's median is taken over
MIN_SAMPLES = 3  # fewer than this: "a few minutes", never a made-up number
SAMPLE_DAYS = 7


# ----------------------------------------------------------------------------- helpers


def _enum(v: Any) -> str:
    return str(v.value if hasattr(v, "value") else v)


def is_offline_message(c: Conversation) -> bool:
    """An offline message (left out of hours) waits for agents to claim it, not routing."""
    return bool((c.handoff or {}).get("offline"))


async def note(session: AsyncSession, c: Conversation, kind: str, text: str, **data: Any) -> None:
    """Record a routing event only agents see (``routing.<kind>``)."""
    await record_private(
        session, c, f"routing.{kind}", {"conversation_id": c.id, "kind": kind, "text": text, **data}
    )


async def _agent_ref(session: AsyncSession, agent_id: int | None) -> dict[str, Any] | None:
    if agent_id is None:
        return None
    a = await session.get(Agent, agent_id)
    return {"id": agent_id, "name": a.name if a else "?"}


async def team_hours(session: AsyncSession, c: Conversation) -> bh.HoursLike:
    """The business hours that apply: the conversation's team's, else its site's."""
    if c.team:
        team = await teams_repo.by_key(session, c.team)
        if team is not None and team.business_hours is not None:
            return team.business_hours
    site = await session.get(Site, c.site_id)
    return site.business_hours if site else None


_QUEUE_TEAMS = "parley_routing_queue_teams"
_QUEUE_FIRE = "parley_routing_queue_fire"
_tasks: set[asyncio.Task[None]] = set()


def queue_changed(session: AsyncSession, team: str | None) -> None:
    """After this transaction commits, tell the team's waiting visitors their place moved."""
    session.info.setdefault(_QUEUE_TEAMS, set()).add(team)

    def fire() -> None:
        teams = session.info.pop(_QUEUE_TEAMS, set())
        if teams:
            task = asyncio.get_running_loop().create_task(_notify_waiting(teams))
            _tasks.add(task)
            task.add_done_callback(_tasks.discard)

    after_commit(session, session.info.setdefault(_QUEUE_FIRE, fire))


async def _notify_waiting(teams: set[str | None]) -> None:
    """A live-only ``queue.updated`` to each waiting visitor of these teams (the widget then
    asks for its place); visitors only, agents' streams do not need it."""
    try:
        async with sessionmaker()() as s:
            rows = [c for team in teams for c in await waiting(s, team, all_teams=False)]
        bus = get_bus()
        for c in rows:
            await bus.publish(
                visitor_channel(c.session_id),
                {
                    "id": None,
                    "seq": None,
                    "conversation_id": c.id,
                    "site_id": c.site_id,
                    "type": "queue.updated",
                    "visitor_visible": True,
                    "data": {"conversation_id": c.id},
                },
            )
    except Exception:  # a nicety: the widget also refreshes on its own
        log.exception("queue notification failed")


# ------------------------------------------------------------------------------ rules


async def rules(session: AsyncSession) -> Sequence[RoutingRule]:
    """Every rule, in evaluation order (the default last)."""
    return (
        await session.exec(
            select(RoutingRule).order_by(
                col(RoutingRule.is_default), col(RoutingRule.position), col(RoutingRule.id)
            )
        )
    ).all()


async def facts_for(
    session: AsyncSession, c: Conversation, now: datetime | None = None
) -> engine.Facts:
    """What the rules may look at for this conversation."""
    assert c.id is not None
    ctx = c.context or {}
    raw = ctx.get("prechat")
    prechat: dict[str, Any] = raw if isinstance(raw, dict) else {}
    category = [
        str(prechat[k]) for k in ("category", "department") if prechat.get(k) not in (None, "")
    ]
    customer, attributes = "anonymous", {}
    if c.contact_id is not None:
        contact = await session.get(Contact, c.contact_id)
        if contact is not None:
            attributes = dict(contact.attributes or {})
            earlier = await conv_repo.earlier_for_contact(session, c.contact_id, c.id, limit=1)
            customer = "returning" if earlier else "identified"
    trail = await conv_repo.page_views(session, c.session_id, limit=1)
    url = trail[-1].url if trail else str(ctx.get("url") or "")
    return engine.Facts(
        now=now or utcnow(),
        category=category,
        department=(c.handoff or {}).get("department") or c.team,
        intent=c.intent or (c.handoff or {}).get("intent"),
        language=c.lang or (str(ctx.get("language")) if ctx.get("language") else None),
        customer=customer,
        attributes=attributes,
        priority=c.priority,
        url=url,
        hours=await team_hours(session, c),
    )


def prechat_team(c: Conversation) -> tuple[str | None, str]:
    """The team the visitor's pre-chat category routes to, and a note saying so."""
    raw = (c.context or {}).get("prechat")
    if not isinstance(raw, dict) or not raw.get("department"):
        return None, ""
    label = raw.get("category_label") or raw.get("category")
    return str(raw["department"]), f" (pre-chat category “{label}”)"


async def route(session: AsyncSession, c: Conversation) -> engine.Decision:
    """Apply the first matching rule (team, priority, labels) and record the decision."""
    decision = engine.evaluate(await rules(session), await facts_for(session, c))
    a = decision.actions
    changes: list[str] = []
    # The team: a matching rule's, else the one the visitor's pre-chat category maps to
    # (Settings → Pre-chat form), else the default rule's, else the bot's department.
    team, why = (None, "") if decision.is_default else (a.team, "")
    if team is None:
        team, why = prechat_team(c)
    team = team or a.team
    if team and team != c.team:
        c.team = team
        changes.append(f"team {team}{why}")
    if a.priority is not None and a.priority != c.priority:
        c.priority = a.priority
        changes.append(f"priority {a.priority}")
    new_labels = [x for x in a.labels if x not in (c.labels or [])]
    if new_labels:
        c.labels = [*(c.labels or []), *new_labels]
        changes.append("labels " + ", ".join(new_labels))
    agent = await _agent_ref(session, a.agent_id)
    if agent:
        changes.append(f"agent {agent['name']}")
    session.add(c)
    who = (
        f"Rule “{decision.rule.name}”"
        if decision.rule is not None and not decision.rule.is_default
        else "Default routing"
    )
    because = "" if decision.is_default else f" ({'; '.join(decision.reasons)})"
    text = f"{who}{because}: " + (", ".join(changes) if changes else f"team {c.team or 'any'}")
    await note(
        session,
        c,
        "decided",
        text,
        rule={"id": decision.rule.id, "name": decision.rule.name} if decision.rule else None,
        default=decision.is_default,
        reasons=decision.reasons,
        team=c.team,
        priority=c.priority,
        labels=list(c.labels or []),
        labels_added=new_labels,
        agent=agent,
    )
    return decision


# ------------------------------------------------------------------------- assignment


async def pool(session: AsyncSession, team_key: str | None) -> tuple[Team | None, list[Agent]]:
    """Who may take a conversation of this team: its members, or everyone when the team
    does not exist or has nobody in it (so an install without teams still routes)."""
    team = await teams_repo.by_key(session, team_key) if team_key else None
    ids = await teams_repo.member_ids(session, team.id) if team and team.id else []
    return team, list(await teams_repo.active_agents(session, ids or None))


async def eligible(
    session: AsyncSession, agents: Sequence[Agent], exclude: set[int] | frozenset[int] = frozenset()
) -> list[tuple[Agent, int]]:
    """Online agents with room, with their open conversation counts."""
    online = [
        a
        for a in agents
        if a.id is not None
        and a.id not in exclude
        and _enum(a.availability) == Availability.online.value
    ]
    loads = await teams_repo.open_counts(session, [a.id for a in online if a.id is not None])
    return [(a, loads.get(a.id or 0, 0)) for a in online if loads.get(a.id or 0, 0) < a.capacity]


def choose(team: Team | None, candidates: list[tuple[Agent, int]]) -> list[tuple[Agent, int]]:
    """Candidates in the order the team's assignment mode tries them."""
    if team is not None and _enum(team.assignment) == AssignmentMode.round_robin.value:
        by_id = sorted(candidates, key=lambda x: x[0].id or 0)
        last = team.rr_last_agent_id or 0
        return [x for x in by_id if (x[0].id or 0) > last] + [
            x for x in by_id if (x[0].id or 0) <= last
        ]
    never = datetime.min.replace(tzinfo=utcnow().tzinfo)
    # Fewest open chats; among equals, the one who has waited longest for a new one.
    return sorted(candidates, key=lambda x: (x[1], x[0].last_assigned_at or never, x[0].id or 0))


async def take(
    session: AsyncSession,
    c: Conversation,
    agent: Agent,
    *,
    check_capacity: bool = True,
    why: tuple[str, str, dict[str, Any]] | None = None,
) -> bool:
    """Give a queued conversation to the agent if it is still unassigned (and, when
    routing, the agent still has room); exactly one of concurrent takers wins.

    ``why`` (kind, text, data) is noted once the conversation is won, before the
    agent's "joined" message, so the transcript reads in the order things happened.
    """
    assert c.id is not None and agent.id is not None
    # Lock the agent's row, then count: concurrent assignments to one agent take turns.
    await session.exec(
        update(Agent)
        .where(col(Agent.id) == agent.id)
        .values(capacity=Agent.capacity)
        .execution_options(synchronize_session=False)
    )
    if check_capacity:
        load = (await teams_repo.open_counts(session, [agent.id])).get(agent.id, 0)
        if load >= agent.capacity:
            return False
    result: Any = await session.exec(
        update(Conversation)
        .where(col(Conversation.id) == c.id)
        .where(col(Conversation.assignee_id).is_(None))
        .where(col(Conversation.status) == Status.queued)
        .values(assignee_id=agent.id, status=Status.assigned, assigned_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    if why is not None:
        await note(session, c, why[0], why[1], **why[2])
    # The row is ours: record it the usual way (system message, status event, listeners).
    await conversations.assign(session, c, agent)
    queue_changed(session, c.team)
    return True


async def try_assign(
    session: AsyncSession,
    c: Conversation,
    *,
    exclude: set[int] | frozenset[int] = frozenset(),
    preferred_agent_id: int | None = None,
    reason: str = "",
) -> Agent | None:
    """Assign a queued conversation to the best online agent with room, if any."""
    if c.status != Status.queued or c.assignee_id is not None:
        return None
    team, agents = await pool(session, c.team)
    if preferred_agent_id is not None and preferred_agent_id not in exclude:
        wanted = await session.get(Agent, preferred_agent_id)
        if wanted is not None and wanted.is_active:
            fits = await eligible(session, [wanted], exclude)
            why = (
                "assigned",
                f"Assigned to {wanted.name}, as the rule asks.",
                {
                    "agent": {"id": wanted.id, "name": wanted.name},
                    "strategy": "rule",
                    "open_before": fits[0][1] if fits else None,
                },
            )
            if fits and await take(session, c, wanted, why=why):
                return wanted
    mode = _enum(team.assignment) if team is not None else AssignmentMode.least_loaded.value
    for agent, load in choose(team, await eligible(session, agents, exclude)):
        how = (
            "in turn (round robin)"
            if mode == AssignmentMode.round_robin.value
            else f"least loaded: {load} open chat{'s' if load != 1 else ''}"
        )
        why = (
            "assigned",
            f"Assigned to {agent.name} ({how}){reason}.",
            {
                "agent": {"id": agent.id, "name": agent.name},
                "strategy": mode,
                "open_before": load,
                "team": c.team,
            },
        )
        if not await take(session, c, agent, why=why):
            if c.assignee_id is not None or c.status != Status.queued:
                return None
            continue
        if team is not None and mode == AssignmentMode.round_robin.value:
            team.rr_last_agent_id = agent.id
            session.add(team)
        return agent
    return None


def _queue_order(c: Conversation) -> tuple[int, datetime, int]:
    return (-c.priority, c.queued_at or c.created_at, c.id or 0)


async def waiting(
    session: AsyncSession,
    team_key: str | None = None,
    *,
    all_teams: bool = True,
    lock: bool = False,
) -> list[Conversation]:
    """The queue: queued, unassigned, not offline messages; by priority, then wait."""
    q = (
        select(Conversation)
        .where(col(Conversation.status) == Status.queued)
        .where(col(Conversation.assignee_id).is_(None))
    )
    if not all_teams:
        q = (
            q.where(col(Conversation.team) == team_key)
            if team_key
            else q.where(col(Conversation.team).is_(None))
        )
    if lock:
        # PostgreSQL: skip rows another transaction is routing right now (no deadlocks
        # between a drain and an escalation); SQLite serialises writers anyway.
        q = q.with_for_update(skip_locked=True)
    rows = [c for c in (await session.exec(q)).all() if not is_offline_message(c)]
    return sorted(rows, key=_queue_order)


async def drain(session: AsyncSession, *, limit: int = 100) -> int:
    """Give waiting conversations, in queue order, to agents with room; how many went."""
    assigned = 0
    full: set[str | None] = set()  # teams nobody can take more of right now
    for c in (await waiting(session, lock=True))[:limit]:
        if c.team in full:
            continue
        if await try_assign(session, c, reason=" from the queue"):
            assigned += 1
        else:
            full.add(c.team)
    return assigned


async def claim(session: AsyncSession, c: Conversation, agent: Agent) -> Conversation:
    """An agent takes a conversation from the queue; only one of concurrent claims wins."""
    if c.assignee_id == agent.id and c.status == Status.assigned:
        return c
    if c.status == Status.closed:
        raise Conflict("The conversation is closed.")
    why = (
        "claimed",
        f"{agent.name} claimed it from the queue.",
        {"agent": {"id": agent.id, "name": agent.name}},
    )
    if not await take(session, c, agent, check_capacity=False, why=why):
        await session.refresh(c)
        holder = await _agent_ref(session, c.assignee_id)
        raise Conflict(
            f"{holder['name']} already has this conversation."
            if holder
            else "This conversation is not waiting in the queue."
        )
    return c


async def requeue(
    session: AsyncSession, c: Conversation, kind: str, text: str, **data: Any
) -> bool:
    """Take the conversation from its agent back to the queue (keeping its place)."""
    prev = c.assignee_id
    result: Any = await session.exec(
        update(Conversation)
        .where(col(Conversation.id) == c.id)
        .where(col(Conversation.assignee_id) == prev)
        .where(col(Conversation.status) == Status.assigned)
        .values(assignee_id=None, status=Status.queued)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    c.assignee_id, c.status = None, Status.queued
    c.queued_at = c.queued_at or utcnow()
    session.add(c)
    await note(session, c, kind, text, previous=await _agent_ref(session, prev), **data)
    await conversations._status_event(session, c)
    queue_changed(session, c.team)
    return True


async def transfer(
    session: AsyncSession,
    c: Conversation,
    by: Agent,
    *,
    team_key: str | None,
    agent_id: int | None,
    note_text: str | None,
) -> Conversation:
    """Move the conversation to another team (its queue) or agent, with a private note."""
    if c.status == Status.closed:
        raise Conflict("The conversation is closed.")
    team = None
    if team_key:
        team = await teams_repo.by_key(session, team_key)
        if team is None:
            raise InvalidInput(f"There is no team {team_key!r}.")
    target = None
    if agent_id is not None:
        target = await session.get(Agent, agent_id)
        if target is None or not target.is_active:
            raise NotFound("No such agent.")
        if _enum(target.availability) != Availability.online.value:
            raise Conflict(
                f"{target.name} is {_enum(target.availability)}: pick someone online, "
                "or transfer to their team's queue."
            )
        if target.id == c.assignee_id:
            raise Conflict(f"{target.name} already has this conversation.")
    prev = c.assignee_id
    if team is not None:
        c.team = team.key
    dest = " and ".join(
        x for x in (f"team {team.name}" if team else "", target.name if target else "") if x
    )
    data = {
        "by": {"id": by.id, "name": by.name},
        "previous": await _agent_ref(session, prev),
        "team": c.team,
        "agent": {"id": target.id, "name": target.name} if target else None,
        "note": note_text or None,
    }
    if target is not None:
        await note(session, c, "transferred", f"{by.name} transferred it to {dest}.", **data)
        await conversations.assign(session, c, target)
    else:
        c.assignee_id, c.status = None, Status.queued
        c.queued_at = c.queued_at or utcnow()
        session.add(c)
        await note(session, c, "transferred", f"{by.name} transferred it to {dest}.", **data)
        await conversations._status_event(session, c)
        queue_changed(session, c.team)
        await try_assign(session, c, exclude={x for x in (prev, by.id) if x is not None})
    if prev is not None and prev != c.assignee_id:
        await drain(session)  # the previous agent has room again
    return c


async def set_labels(session: AsyncSession, c: Conversation, labels: list[str], by: Agent) -> None:
    """Replace the conversation's labels (agents only see them)."""
    before = list(c.labels or [])
    if before == labels:
        return
    c.labels = labels
    session.add(c)
    added = [x for x in labels if x not in before]
    removed = [x for x in before if x not in labels]

    def words(verb: str, xs: list[str]) -> list[str]:
        return [f"{verb} label{'s' if len(xs) > 1 else ''} {', '.join(xs)}"] if xs else []

    parts = words("added", added) + words("removed", removed)
    await note(session, c, "labelled", f"{by.name} {' and '.join(parts)}.", labels=labels)
    await conversations._status_event(session, c)


# ----------------------------------------------------------------------- availability


async def set_availability(
    session: AsyncSession, agent: Agent, value: Availability, *, auto: bool = False
) -> Agent:
    """Change an agent's availability; coming online drains the queue to them."""
    now = utcnow()
    before = _enum(agent.availability)
    agent.availability = value
    agent.availability_auto = auto
    if not auto:
        agent.last_seen_at = agent.last_active_at = now
    session.add(agent)
    await session.flush()
    if value == Availability.online and before != Availability.online.value:
        await drain(session)
    return agent


async def heartbeat(session: AsyncSession, agent: Agent, *, active: bool) -> Agent:
    """The console is open (and, if ``active``, someone used it); undo automatic away."""
    now = utcnow()
    agent.last_seen_at = now
    if active:
        agent.last_active_at = now
    session.add(agent)
    await session.flush()
    if active and agent.availability_auto and _enum(agent.availability) != "online":
        await set_availability(session, agent, Availability.online)
    return agent


# ---------------------------------------------------------------------------- the queue


def _wait_text(seconds: float) -> str:
    minutes = math.ceil(seconds / 60)
    if seconds < 60:
        return "Less than a minute"
    if minutes <= 1:
        return "About a minute"
    if minutes <= 60:
        return f"About {minutes} minutes"
    return "More than an hour"


async def recent_waits(session: AsyncSession, team_key: str | None, now: datetime) -> list[float]:
    """The team's latest queue waits in seconds (newest first)."""
    q = (
        select(Assignment.waited_seconds)
        .where(col(Assignment.waited_seconds).is_not(None))
        .where(col(Assignment.created_at) >= now - timedelta(days=SAMPLE_DAYS))
    )
    q = q.where(col(Assignment.team) == team_key if team_key else col(Assignment.team).is_(None))
    rows = await session.exec(q.order_by(col(Assignment.created_at).desc()).limit(WAIT_SAMPLES))
    return [float(x) for x in rows.all() if x is not None]


async def queue_status(
    session: AsyncSession, c: Conversation | None, now: datetime | None = None
) -> QueueOut:
    """The visitor's place in their team's queue and how long it will likely take.

    Estimate: the median of the team's recent waits, times the position, divided by
    the agents online; with too few recent waits it says "a few minutes", and with
    nobody online it promises nothing.
    """
    if c is None or c.status != Status.queued or c.assignee_id is not None:
        return QueueOut(queued=False)
    if is_offline_message(c):
        return QueueOut(queued=False, team=c.team)
    now = now or utcnow()
    line = await waiting(session, c.team, all_teams=False)
    position = next((i + 1 for i, x in enumerate(line) if x.id == c.id), len(line) + 1)
    _, agents = await pool(session, c.team)
    online = sum(1 for a in agents if _enum(a.availability) == Availability.online.value)
    out = QueueOut(queued=True, position=position, team=c.team, agents_online=online)
    team = await teams_repo.by_key(session, c.team) if c.team else None
    if team is not None and team.business_hours and not bh.is_open(team.business_hours, now):
        # Out of this team's hours (the site was open when the bot handed over).
        out.team_open, out.back_at = False, bh.next_opening(team.business_hours, now)
        out.estimate_text = "The team is out of hours; they answer when they are back."
        return out
    if online == 0:
        out.estimate_text = (
            "Nobody from the team is available right now. Stay here: we will answer "
            "as soon as someone is."
        )
        return out
    waits = await recent_waits(session, c.team, now)
    if len(waits) < MIN_SAMPLES:
        out.estimate_text = "Usually a few minutes."
        return out
    seconds = statistics.median(waits) * position / online
    out.estimate_seconds = int(round(seconds))
    out.estimate_text = f"{_wait_text(seconds)}."
    return out


# -------------------------------------------------------------------------- listeners


async def on_escalated(session: AsyncSession, ev: ConversationEscalated) -> None:
    """Route a conversation the bot (or the visitor) handed to people, then assign it."""
    c = ev.conversation
    c.queued_at = utcnow()
    browser = str((c.context or {}).get("language") or "").split("-")[0].lower()
    if c.lang is None and browser.isalpha() and 2 <= len(browser) <= 3:
        # Nobody detected it (a "talk to a human" press before any message): the
        # browser's language lets rules and the inbox's language filter see it.
        c.lang = browser
    session.add(c)
    decision = await route(session, c)
    if is_offline_message(c):
        await conversations._status_event(session, c)
        return  # out of hours: it waits for the team to come back
    if not await try_assign(session, c, preferred_agent_id=decision.actions.agent_id):
        position = (await queue_status(session, c)).position
        await note(
            session,
            c,
            "queued",
            f"Waiting in the {c.team or 'general'} queue"
            + (f" (position {position})" if position else "")
            + ": nobody online has room.",
            team=c.team,
            position=position,
        )
        await conversations._status_event(session, c)
        queue_changed(session, c.team)


async def on_assigned(session: AsyncSession, ev: ConversationAssigned) -> None:
    """Log the assignment and how long the conversation waited in the queue."""
    c, agent = ev.conversation, ev.agent
    now = utcnow()
    waited = (now - c.queued_at).total_seconds() if ev.from_queue and c.queued_at else None
    assert c.id is not None
    session.add(
        Assignment(
            conversation_id=c.id,
            agent_id=agent.id,
            team=c.team,
            waited_seconds=waited,
            created_at=now,
        )
    )
    agent.last_assigned_at = now
    session.add(agent)
    await session.flush()


async def on_released(session: AsyncSession, ev: ConversationReleased) -> None:
    """An agent has room again: the queue drains to whoever can take it; a conversation
    that left the queue unassigned (the visitor gave up) moves the others up."""
    if ev.agent_id is not None:
        await drain(session)
    else:
        queue_changed(session, ev.conversation.team)


# ------------------------------------------------------------------------- the sweep


async def unanswered(session: AsyncSession, c: Conversation) -> bool:
    """Whether the current assignee has written nothing since they got the conversation."""
    assert c.id is not None and c.assigned_at is not None
    first = (
        await session.exec(
            select(Message.id)
            .where(Message.conversation_id == c.id)
            .where(Message.sender == Sender.agent)
            .where(col(Message.created_at) >= c.assigned_at)
            .limit(1)
        )
    ).first()
    return first is None


def install() -> None:
    """Register routing's listeners (app start-up)."""
    listen(ConversationEscalated, on_escalated)
    listen(ConversationAssigned, on_assigned)
    listen(ConversationReleased, on_released)
