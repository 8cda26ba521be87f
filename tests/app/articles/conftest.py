"""Fixtures for the knowledge-base API: a lead, a plain agent and the admin, signed in."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from app.agents.models import Role
from app.agents.service import ensure_agent
from app.events.service import unit_of_work
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, RunningServer

PASSWORD = "lead-password-123"


async def _login(client: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    r = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def signed_in(server: RunningServer, role: Role) -> dict[str, str]:
    """Create an agent with this role (once per server) and return its auth header."""
    email = f"{role.value}-{server.settings.port}@example.com"
    async with unit_of_work() as s:
        await ensure_agent(s, email, f"Test {role.value.title()}", PASSWORD, role)
    async with server.client() as c:
        return await _login(c, email, PASSWORD)


@pytest_asyncio.fixture(loop_scope="session")
async def api(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the server."""
    async with server.client() as client:
        yield client


@pytest_asyncio.fixture(loop_scope="session")
async def lead(server: RunningServer) -> dict[str, str]:
    """Headers of a support lead."""
    return await signed_in(server, Role.lead)


@pytest_asyncio.fixture(loop_scope="session")
async def agent(server: RunningServer) -> dict[str, str]:
    """Headers of a plain agent (reads only)."""
    return await signed_in(server, Role.agent)


@pytest_asyncio.fixture(loop_scope="session")
async def admin(server: RunningServer) -> dict[str, str]:
    """Headers of the seeded admin."""
    async with server.client() as c:
        return await _login(c, ADMIN_EMAIL, ADMIN_PASSWORD)


def unique(prefix: str) -> str:
    """A slug nobody else's test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
