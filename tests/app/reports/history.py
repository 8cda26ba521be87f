"""A known history of 10 conversations, made through the real services with set timestamps.

Each step runs the service that does it in production (start, add_message, bot_message,
escalate, assign, agent_message, close, csat.submit); its events and messages are then
dated deliberately, so every report figure below is known in advance. The conversations
belong to a site of their own and to one week starting at ``base`` (UTC), so the live
conversations of other tests never mix in. All are closed: the inactivity sweep leaves
them alone.

Figures (see EXPECTED): 10 conversations, 4 closed by the bot alone (AI resolved), 6 handed
off (human_request 3, billing_dispute 2, low_confidence 1); waits 60-600 s, first responses
wait + 40 s, handle times 300-1800 s; six ratings 5, 4, 3, 5, 2, 4.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col

from app.agents.models import Role
from app.agents.service import ensure_agent
from app.conversations import service as conversations
from app.conversations.models import Conversation, ConversationEvent, Message, Sender
from app.csat import service as csat
from app.csat.schemas import CsatIn
from app.events.service import unit_of_work
from app.sites.models import Site
from app.visitors.models import VisitorSession
from tests.conftest import ADMIN_EMAIL


@dataclass(frozen=True)
class Plan:
    """One conversation: the day it starts, and what happens to it (seconds from start)."""

    day: int  # 0..6
    hour: int
    escalate: tuple[str, str] | None = None  # (reason, team)
    agent: str | None = None  # "ada" | "bea"
    wait: int = 0  # escalation -> assignment
    handle: int = 0  # assignment -> close
    rating: int | None = None


PLANS = [
    Plan(0, 9, rating=5),
    Plan(1, 10, rating=4),
    Plan(2, 11),
    Plan(3, 12),
    Plan(0, 14, ("human_request", "billing"), "ada", 60, 300, 3),
    Plan(1, 15, ("human_request", "billing"), "ada", 120, 600, 5),
    Plan(2, 16, ("billing_dispute", "billing"), "ada", 180, 900),
    Plan(3, 9, ("billing_dispute", "support"), "bea", 240, 1200, 2),
    Plan(4, 10, ("human_request", "support"), "bea", 300, 1500, 4),
    Plan(5, 11, ("low_confidence", "support"), "bea", 600, 1800),
]

EXPECTED: dict[str, Any] = {
    "conversations": 10,
    "ai_resolved": 4,
    "escalated": 6,
    "ai_resolution": 0.4,
    "handoff": 0.6,
    "reasons": {"human_request": 3, "billing_dispute": 2, "low_confidence": 1},
    # first response = visitor message (t) -> first agent reply (t + 10 + wait + 30)
    "first_response": {"median": 250.0, "average": 290.0, "count": 6},
    "wait": {"median": 210.0, "average": 250.0, "count": 6},
    "handle": {"median": 1050.0, "average": 1050.0, "count": 6},
    "csat": {"count": 6, "average": 3.83, "distribution": {"1": 0, "2": 1, "3": 1, "4": 2, "5": 2}},
    "series": [2, 2, 2, 2, 1, 1, 0],
    "series_escalated": [1, 1, 1, 1, 1, 1, 0],
    "teams": {
        "billing": {"conversations": 3, "wait_median": 120.0, "handle_median": 600.0},
        "support": {"conversations": 3, "wait_median": 300.0, "handle_median": 1500.0},
        "(no team)": {"conversations": 4, "wait_median": None, "handle_median": None},
    },
    "agents": {
        "Ada Admin": {"conversations": 3, "first_response_median": 160.0, "csat_average": 4.0},
        "Bea Agent": {"conversations": 3, "first_response_median": 340.0, "csat_average": 3.0},
    },
}


async def _date(s: Any, c: Conversation, after_seq: int, when: datetime) -> None:
    """Date what the last step stored (events and messages after ``after_seq``)."""
    for model in (ConversationEvent, Message):
        await s.exec(
            update(model)
            .where(col(model.conversation_id) == c.id, col(model.seq) > after_seq)
            .values(created_at=when)
        )


async def seed_history(base: date) -> int:
    """Create the history in the week from ``base``; returns the new site's id."""
    async with unit_of_work() as s:
        site = Site(key=f"pk_hist_{uuid.uuid4().hex[:8]}", name="History Inc", allowed_origins=[])
        s.add(site)
        ada, _ = await ensure_agent(s, ADMIN_EMAIL, "Ada Admin", "unused", Role.admin)
        bea, _ = await ensure_agent(s, "bea@example.com", "Bea Agent", "bea-password-1", Role.agent)
        await s.flush()
        assert site.id is not None
        agents = {"ada": ada, "bea": bea}
        for i, p in enumerate(PLANS):
            t0 = datetime.combine(base + timedelta(days=p.day), time(p.hour), UTC)
            vs = VisitorSession(site_id=site.id, context={"url": "https://history.example/"})
            s.add(vs)
            await s.flush()
            c = await conversations.start(s, vs)
            c.created_at = t0
            await _date(s, c, 0, t0)
            steps: list[tuple[int, Any]] = [
                (
                    0,
                    lambda c=c, i=i: conversations.add_message(
                        s, c, Sender.visitor, f"Question {i}", client_message_id=f"h{i}"
                    ),
                ),
                (
                    5,
                    lambda c=c: conversations.bot_message(
                        s,
                        c,
                        "Here is what I found.",
                        sources=[],
                        stream_id=None,
                        intent="faq",
                        confidence=0.9,
                        lang="en",
                    ),
                ),
            ]
            if p.escalate:
                reason, team = p.escalate
                agent = agents[p.agent or "ada"]
                steps += [
                    (
                        10,
                        lambda c=c, r=reason, t=team: conversations.escalate(
                            s, c, reason=r, department=t
                        ),
                    ),
                    (10 + p.wait, lambda c=c, a=agent: conversations.assign(s, c, a)),
                    (
                        10 + p.wait + 30,
                        lambda c=c, a=agent, i=i: conversations.agent_message(
                            s, c, a, f"a{i}", "Hi, I can help with that."
                        ),
                    ),
                    (
                        10 + p.wait + p.handle,
                        lambda c=c, a=agent: conversations.close(
                            s, c, by=a.name, actor="agent", agent_id=a.id
                        ),
                    ),
                ]
            else:
                steps.append(
                    (120, lambda c=c: conversations.close(s, c, by="the visitor", actor="visitor"))
                )
            for sec, step in steps:
                before = c.last_seq
                await step()
                await _date(s, c, before, t0 + timedelta(seconds=sec))
            c.closed_at = t0 + timedelta(seconds=steps[-1][0])
            s.add(c)
            await s.flush()
            if p.rating is not None:
                before = c.last_seq
                await csat.submit(s, vs, CsatIn(conversation_id=c.id or 0, rating=p.rating))
                await _date(s, c, before, t0 + timedelta(seconds=steps[-1][0] + 60))
        return site.id
