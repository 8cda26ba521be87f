"""Canned response queries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.canned.models import CannedResponse


async def get(session: AsyncSession, canned_id: int) -> CannedResponse | None:
    """The canned response with this id."""
    return await session.get(CannedResponse, canned_id)


async def listing(session: AsyncSession, site_id: int | None) -> Sequence[CannedResponse]:
    """A site's canned responses (every site's without one), by shortcut."""
    q = select(CannedResponse)
    if site_id is not None:
        q = q.where(CannedResponse.site_id == site_id)
    return (
        await session.exec(q.order_by(col(CannedResponse.shortcut), col(CannedResponse.id)))
    ).all()


async def by_shortcut(
    session: AsyncSession, site_id: int, scope: str, shortcut: str
) -> CannedResponse | None:
    """The response holding this shortcut in this scope, if any."""
    return (
        await session.exec(
            select(CannedResponse)
            .where(CannedResponse.site_id == site_id)
            .where(CannedResponse.scope == scope)
            .where(CannedResponse.shortcut == shortcut)
        )
    ).first()


async def count_for_site(session: AsyncSession, site_id: int) -> int:
    """How many canned responses the site has."""
    q = select(func.count()).select_from(CannedResponse).where(CannedResponse.site_id == site_id)
    return int((await session.exec(q)).one())
