"""Site rules: business hours and whether the team is in, the widget's theme. Services only
flush."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import utcnow
from app.errors import NotFound
from app.sites import hours as bh
from app.sites import repository as repo
from app.sites import theme as th
from app.sites.models import Site
from app.sites.schemas import BusinessHoursOut


async def get(session: AsyncSession, site_id: int) -> Site:
    """The site, or NotFound."""
    site = await repo.get(session, site_id)
    if site is None:
        raise NotFound(f"Site {site_id} not found.")
    return site


def availability(site: Site, now: datetime | None = None) -> tuple[bool, datetime | None]:
    """(open now, next opening when closed) for the site's business hours."""
    return bh.describe(site.business_hours, now or utcnow())


def is_offline(site: Site, now: datetime | None = None) -> bool:
    """Whether the team is out of business hours: escalations then get the offline form."""
    return not bh.is_open(site.business_hours, now or utcnow())


def hours_out(site: Site, now: datetime | None = None) -> BusinessHoursOut:
    """The site's hours with what they mean right now."""
    assert site.id is not None
    open_now, nxt = availability(site, now)
    return BusinessHoursOut(
        site_id=site.id, business_hours=site.business_hours, open_now=open_now, next_opening=nxt
    )


async def set_business_hours(
    session: AsyncSession, site: Site, hours: bh.BusinessHours | None
) -> Site:
    """Replace the site's business hours (None: always open)."""
    site.business_hours = hours.stored() if hours is not None else None
    session.add(site)
    await session.flush()
    return site


def theme_of(site: Site) -> th.Theme:
    """The site's widget theme with defaults (a broken stored value falls back to its own)."""
    return th.effective(site.theme)


def bot_name(site: Site | None) -> str:
    """The name the site's bot speaks under."""
    return theme_of(site).bot_name if site is not None else th.DEFAULT_BOT_NAME


async def set_theme(session: AsyncSession, site: Site, theme: th.Theme) -> th.Theme:
    """Replace the site's widget theme."""
    site.theme = theme.stored()
    session.add(site)
    await session.flush()
    return theme
