"""Typed dependencies: the session, the signed-in agent (and lead), the current visitor."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from app.agents.models import Agent, Role
from app.db import SessionDep
from app.errors import Forbidden, Unauthorized
from app.security import read_agent_token, read_visitor_token
from app.sites.models import Site
from app.visitors.models import VisitorSession


def bearer(request: Request) -> str | None:
    """The bearer token of the request, if any (never read from the URL)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def current_agent(request: Request, session: SessionDep) -> Agent:
    """The signed-in, active agent."""
    token = bearer(request)
    if not token:
        raise Unauthorized("Sign in first.")
    agent = await session.get(Agent, read_agent_token(token))
    if agent is None or not agent.is_active:
        raise Unauthorized("Unknown or disabled agent.")
    return agent


def check_origin(request: Request, site: Site) -> None:
    """Browsers send Origin on cross-site calls: it must be one the site allows."""
    origin = request.headers.get("origin")
    if origin and origin not in site.allowed_origins:
        raise Forbidden(f"Origin {origin} is not allowed for this site.")


class VisitorContext:
    """The visitor's session and site, resolved from their token."""

    def __init__(self, session: VisitorSession, site: Site) -> None:
        self.session = session
        self.site = site


async def current_visitor(request: Request, session: SessionDep) -> VisitorContext:
    """The visitor session bound to the bearer token, on an allowed origin."""
    token = bearer(request)
    if not token:
        raise Unauthorized("Missing visitor token.")
    session_id, site_id = read_visitor_token(token)
    vs = await session.get(VisitorSession, session_id)
    site = await session.get(Site, site_id)
    if vs is None or site is None or vs.site_id != site_id:
        raise Unauthorized("Unknown visitor session.")
    check_origin(request, site)
    return VisitorContext(vs, site)


async def current_lead(agent: Annotated[Agent, Depends(current_agent)]) -> Agent:
    """The signed-in agent, if they are a support lead or an admin."""
    if agent.role not in (Role.lead, Role.admin):
        raise Forbidden("Only support leads and admins can change the knowledge base.")
    return agent


def lead_only(action: str) -> Any:
    """A dependency: the signed-in support lead or admin; others get 403 saying they
    cannot ``action`` (e.g. "change the widget's appearance")."""

    async def _lead(agent: Annotated[Agent, Depends(current_agent)]) -> Agent:
        if agent.role not in (Role.lead, Role.admin):
            raise Forbidden(f"Only support leads and admins can {action}.")
        return agent

    return Depends(_lead)


CurrentAgent = Annotated[Agent, Depends(current_agent)]
CurrentLead = Annotated[Agent, Depends(current_lead)]
CurrentVisitor = Annotated[VisitorContext, Depends(current_visitor)]
