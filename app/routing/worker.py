"""The routing sweep: idle agents go away, gone agents go offline, unanswered or orphaned
conversations go to someone else, and the queue drains to whoever has room.

It runs in the app's lifespan, in every app process, every ``routing_sweep_seconds``;
each step is idempotent and races are settled by conditional updates, so several
processes sweeping at once do no harm. At scale it belongs on the job queue (one
scheduled job rather than one loop per process), like the bot's turns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import col, select

from app.agents.models import Agent, Availability
from app.config import get_settings
from app.conversations.models import Conversation, Status
from app.db import utcnow
from app.events.service import unit_of_work
from app.routing import service
from app.teams import repository as teams_repo

log = logging.getLogger(__name__)


async def update_presence(now: datetime) -> dict[str, int]:
    """Online agents idle too long go away; agents whose console is gone go offline."""
    settings = get_settings()
    out = {"away": 0, "offline": 0}
    async with unit_of_work() as s:
        agents = (
            await s.exec(
                select(Agent)
                .where(col(Agent.is_active).is_(True))
                .where(col(Agent.availability).in_([Availability.online, Availability.away]))
            )
        ).all()
        gone = now - timedelta(seconds=settings.agent_offline_after_seconds)
        idle = now - timedelta(minutes=settings.agent_away_after_minutes)
        for a in agents:
            seen = a.last_seen_at
            active = a.last_active_at or seen
            if seen is None or seen < gone:
                await service.set_availability(s, a, Availability.offline, auto=True)
                out["offline"] += 1
            elif (
                service._enum(a.availability) == Availability.online.value
                and settings.agent_away_after_minutes > 0
                and (active is None or active < idle)
            ):
                await service.set_availability(s, a, Availability.away, auto=True)
                out["away"] += 1
    return out


async def reassign(now: datetime) -> int:
    """Move conversations whose agent left them waiting: the agent is not online while
    the visitor waits for an answer, or has not answered within the team's time-out."""
    settings = get_settings()
    async with unit_of_work() as s:
        # One query narrows it down: the agent is not online, or it has been theirs longer
        # than the shortest time-out. Each candidate is then checked in its own transaction.
        timeouts = [t.answer_timeout_seconds for t in await teams_repo.all_teams(s)]
        timeouts.append(settings.routing_answer_timeout_seconds)
        shortest = min((t for t in timeouts if t > 0), default=None)
        gone = or_(
            col(Agent.availability) != Availability.online,
            col(Agent.is_active).is_(False),
        )
        if shortest is not None:
            gone = or_(gone, col(Conversation.assigned_at) < now - timedelta(seconds=shortest))
        rows = (
            await s.exec(
                select(Conversation.id)
                .join(Agent, col(Agent.id) == col(Conversation.assignee_id))
                .where(col(Conversation.status) == Status.assigned)
                .where(gone)
            )
        ).all()
    moved = 0
    for conv_id in rows:
        async with unit_of_work() as s:
            c = await s.get(Conversation, conv_id)
            if c is None or c.status != Status.assigned or c.assignee_id is None:
                continue
            agent = await s.get(Agent, c.assignee_id)
            prev = c.assignee_id
            visitor_waiting = (c.last_message or {}).get("sender") == "visitor"
            state = service._enum(agent.availability) if agent else "offline"
            if agent is not None and not agent.is_active:
                state = "offline"
            reason = None
            if state != Availability.online.value and visitor_waiting:
                name = agent.name if agent else "The agent"
                reason = (f"agent_{state}", f"{name} is {state} while the visitor waits")
            elif c.assigned_at is not None:
                team = await teams_repo.by_key(s, c.team) if c.team else None
                timeout = (
                    team.answer_timeout_seconds
                    if team is not None
                    else settings.routing_answer_timeout_seconds
                )
                if (
                    timeout > 0
                    and c.assigned_at < now - timedelta(seconds=timeout)
                    and await service.unanswered(s, c)
                    # Only when someone else can take it: handing it back to the same
                    # agent would only tell the visitor "joined" again.
                    and await service.eligible(s, (await service.pool(s, c.team))[1], {prev})
                ):
                    name = agent.name if agent else "The agent"
                    minutes = max(1, round(timeout / 60))
                    plural = "s" if minutes != 1 else ""
                    reason = ("no_answer", f"{name} did not answer within {minutes} minute{plural}")
            if reason is None:
                continue
            if not await service.requeue(
                s, c, "reassigned", f"{reason[1]}: back to the queue.", reason=reason[0]
            ):
                continue
            await service.try_assign(
                s, c, exclude={prev}, reason=f" after {reason[0].replace('_', ' ')}"
            )
            moved += 1
    return moved


async def sweep(now: datetime | None = None) -> dict[str, int]:
    """One pass: presence, re-assignment, then the queue drains."""
    now = now or utcnow()
    out = await update_presence(now)
    out["reassigned"] = await reassign(now)
    async with unit_of_work() as s:
        out["assigned"] = await service.drain(s)
    return out


class RoutingSweeper:
    """Runs ``sweep`` every few seconds until stopped."""

    def __init__(self, every_seconds: float) -> None:
        self._every = every_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the loop."""
        if self._every > 0 and self._task is None:
            self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        """Cancel the loop."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            try:
                await sweep()
            except asyncio.CancelledError:
                raise
            except Exception:  # keep sweeping through a database blip
                log.exception("routing sweep failed")
