"""Visitor sessions: start, resume, page views."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import utcnow
from app.deps import bearer, check_origin
from app.errors import NotFound, Unauthorized
from app.security import read_visitor_token
from app.sites import repository as sites
from app.sites.models import Site
from app.visitors.context import ContextIn, enrich
from app.visitors.models import PageView, VisitorSession


async def start_or_resume(
    session: AsyncSession, request: Request, site_key: str, ctx: ContextIn
) -> tuple[VisitorSession, Site]:
    """Resume the session the bearer token names on this site, or start a new one."""
    site = await sites.get_by_key(session, site_key)
    if site is None:
        raise NotFound("Unknown site key.")
    check_origin(request, site)
    vs: VisitorSession | None = None
    token = bearer(request)
    if token:
        try:
            session_id, site_id = read_visitor_token(token)
        except Unauthorized:
            session_id, site_id = "", -1  # a stale token just starts a fresh session
        if site_id == site.id:
            vs = await session.get(VisitorSession, session_id)
    if vs is None:
        assert site.id is not None
        vs = VisitorSession(site_id=site.id, context=enrich(ctx))
        session.add(vs)
        await session.flush()
    vs.last_seen_at = utcnow()
    session.add(vs)
    if ctx.url:
        await record_page_view(session, vs, ctx.url, ctx.title)
    return vs, site


async def lock(session: AsyncSession, vs: VisitorSession) -> None:
    """Write the visitor's session row first (the visitor is here: ``last_seen_at``), then
    read it back. One visitor's concurrent requests take turns from here (row lock on
    PostgreSQL, write lock on SQLite), and each sees what the one before it stored: an
    identify and the first message sent together (the widget does) each find the other's
    name, email, contact or conversation, in either order."""
    await session.exec(
        update(VisitorSession).where(col(VisitorSession.id) == vs.id).values(last_seen_at=utcnow())
    )
    await session.refresh(vs)


async def record_page_view(session: AsyncSession, vs: VisitorSession, url: str, title: str) -> None:
    """Append a page to the trail, skipping an immediate repeat (a reload)."""
    from app.conversations.repository import page_views

    last = await page_views(session, vs.id, limit=1)
    if last and last[-1].url == url:
        return
    session.add(PageView(session_id=vs.id, url=url, title=title))
    await session.flush()
