"""Driving routing through the API: teams, agents, rules, and escalated visitors.

The suite shares one server per backend, so a ``Staff`` cleans up after itself:
its agents are deactivated (routing never gives them later tests' conversations),
its teams and rules deleted; and it closes conversations other tests left waiting
so they do not land with its agents.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import update
from sqlmodel import col, select

from app.agents.models import Agent
from app.conversations.models import Conversation, ConversationEvent, Status
from app.events.service import unit_of_work
from tests.app.helpers import Visitor, agent_token
from tests.conftest import RunningServer

PASSWORD = "routing-password-1"


def token() -> str:
    """A short unique word for team keys and page paths."""
    return uuid.uuid4().hex[:8]


class Staff:
    """Teams, agents and rules created for one test, removed afterwards."""

    def __init__(self, server: RunningServer, client: httpx.AsyncClient) -> None:
        self.server, self.client = server, client
        self.admin: dict[str, str] = {}
        self.agents: dict[str, dict[str, Any]] = {}
        self.teams: list[int] = []
        self.rules: list[int] = []

    async def start(self) -> None:
        self.admin = {"Authorization": f"Bearer {await agent_token(self.client)}"}
        await close_leftovers()

    async def team(self, key: str, name: str | None = None, **body: Any) -> dict[str, Any]:
        r = await self.client.post(
            "/api/v1/teams", headers=self.admin, json={"key": key, "name": name or key, **body}
        )
        assert r.status_code == 201, r.text
        self.teams.append(r.json()["id"])
        return dict(r.json())

    async def agent(
        self, name: str, *, teams: list[str] | None = None, capacity: int = 3, role: str = "agent"
    ) -> dict[str, Any]:
        """Create an agent, sign in; returns its row plus ``headers``."""
        email = f"{name.lower()}-{token()}@example.com"
        r = await self.client.post(
            "/api/v1/agents",
            headers=self.admin,
            json={
                "name": name,
                "email": email,
                "role": role,
                "password": PASSWORD,
                "capacity": capacity,
                "teams": teams or [],
            },
        )
        assert r.status_code == 201, r.text
        row = dict(r.json())
        login = await self.client.post(
            "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        row["headers"] = {"Authorization": f"Bearer {login.json()['access_token']}"}
        self.agents[name] = row
        return row

    async def set(self, name: str, availability: str) -> None:
        r = await self.client.put(
            "/api/v1/agents/me/availability",
            headers=self.agents[name]["headers"],
            json={"availability": availability},
        )
        assert r.status_code == 200, r.text

    async def rule(self, body: dict[str, Any]) -> dict[str, Any]:
        r = await self.client.post("/api/v1/routing/rules", headers=self.admin, json=body)
        assert r.status_code == 201, r.text
        self.rules.append(r.json()["id"])
        return dict(r.json())

    async def close(self) -> None:
        for rule_id in self.rules:
            await self.client.delete(f"/api/v1/routing/rules/{rule_id}", headers=self.admin)
        for row in self.agents.values():
            await self.client.patch(
                f"/api/v1/agents/{row['id']}", headers=self.admin, json={"is_active": False}
            )
        for team_id in self.teams:
            await self.client.delete(f"/api/v1/teams/{team_id}", headers=self.admin)
        await close_leftovers()
        await self.client.put("/api/v1/routing/default", headers=self.admin, json={"actions": {}})


@asynccontextmanager
async def staff(server: RunningServer) -> AsyncIterator[Staff]:
    """A Staff on a fresh client, cleaned up at the end."""
    async with server.client() as client:
        s = Staff(server, client)
        await s.start()
        try:
            yield s
        finally:
            await s.close()


async def close_leftovers() -> None:
    """Close what other tests left queued or assigned (straight in the database)."""
    async with unit_of_work() as s:
        await s.exec(
            update(Conversation)
            .where(col(Conversation.status).in_([Status.queued, Status.assigned]))
            .values(status=Status.closed)
        )


async def escalated(server: RunningServer, client: httpx.AsyncClient, page: str) -> Visitor:
    """A visitor on ``page`` who pressed "talk to a human"."""
    v = Visitor(server, client)
    await v.start(url=page)
    r = await client.post("/api/v1/widget/handoff", headers=v.headers)
    assert r.status_code == 200, r.text
    v.conversation_id = r.json()["conversation"]["id"]  # type: ignore[attr-defined]
    return v


async def detail(st: Staff, conv_id: int) -> dict[str, Any]:
    r = await st.client.get(f"/api/v1/conversations/{conv_id}", headers=st.admin)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def assignee(st: Staff, conv_id: int) -> str | None:
    d = await detail(st, conv_id)
    return d["assignee"]["name"] if d["assignee"] else None


async def set_agent_times(agent_id: int, **values: datetime | None) -> None:
    """Pretend time passed: move an agent's last_seen_at / last_active_at."""
    async with unit_of_work() as s:
        await s.exec(update(Agent).where(col(Agent.id) == agent_id).values(**values))


async def set_conversation(conv_id: int, **values: Any) -> None:
    async with unit_of_work() as s:
        await s.exec(update(Conversation).where(col(Conversation.id) == conv_id).values(**values))


async def event_types(conv_id: int) -> list[tuple[str, bool]]:
    """(type, visitor_visible) of a conversation's stored events, in order."""
    async with unit_of_work() as s:
        rows = await s.exec(
            select(ConversationEvent)
            .where(ConversationEvent.conversation_id == conv_id)
            .order_by(col(ConversationEvent.seq))
        )
        return [(e.type, e.visitor_visible) for e in rows.all()]
