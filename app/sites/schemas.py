"""Site shapes for the console: the sites, and their business hours."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.sites.hours import BusinessHours
from app.sites.models import Site
from app.sites.theme import STRINGS, Theme


class SiteSummary(BaseModel):
    """A site as the console lists it."""

    id: int
    key: str
    name: str

    @classmethod
    def of(cls, site: Site) -> SiteSummary:
        """Build from the model."""
        assert site.id is not None
        return cls(id=site.id, key=site.key, name=site.name)


class BusinessHoursIn(BaseModel):
    """New business hours for a site; ``null`` means always open."""

    business_hours: BusinessHours | None = Field(
        description="Opening hours, or null for always open (no offline form)."
    )


class BusinessHoursOut(BaseModel):
    """A site's business hours and whether the team is in right now."""

    site_id: int
    business_hours: dict[str, Any] | None
    open_now: bool
    # When closed: the next opening, in the site's time zone (None: no opening ahead).
    next_opening: datetime | None


class ThemeOut(BaseModel):
    """A site's widget theme (every field, defaults filled in) and the widget's default
    strings, which ``strings`` overrides."""

    site_id: int
    theme: Theme
    default_strings: dict[str, str] = Field(default_factory=lambda: dict(STRINGS))
