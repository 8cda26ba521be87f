"""Business hours of a site: the stored shape, its validation, and when the team is in.

Pure: no database, no clock of its own (callers pass ``now``). Hours are wall-clock
times in the site's IANA time zone, so "09:00" stays 09:00 across daylight-saving
changes. A range ends at its end minute (exclusive); "24:00" ends at midnight, so a
night shift is written as two ranges: ``"fri": [["22:00", "24:00"]]`` and
``"sat": [["00:00", "02:00"]]``. Days that are missing or empty are closed; listed
holidays (local dates) are closed all day. ``None`` hours mean always open.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_RANGES_PER_DAY = 6
MAX_HOLIDAYS = 400
# How far ahead next_opening looks before it gives up (a closed year plus a week).
HORIZON_DAYS = 372

_HHMM = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"Unknown time zone {name!r}: use an IANA name such as Europe/Paris or "
            "America/New_York."
        ) from None


class BusinessHours(BaseModel):
    """A site's opening hours: ``{"timezone", "days": {"mon": [[start, end]]}, "holidays"}``."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(min_length=1, max_length=64, examples=["Europe/Paris"])
    days: dict[Day, list[tuple[str, str]]] = Field(
        default_factory=dict,
        examples=[{"mon": [["09:00", "12:30"], ["13:30", "17:30"]]}],
        description="Opening ranges per weekday (HH:MM, start < end, end may be 24:00); "
        "a missing or empty day is closed.",
    )
    holidays: list[date] = Field(
        default_factory=list,
        max_length=MAX_HOLIDAYS,
        examples=[["2026-12-25"]],
        description="Local dates (YYYY-MM-DD) closed all day.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        v = v.strip()
        _zone(v)
        return v

    @field_validator("days")
    @classmethod
    def _valid_ranges(cls, v: dict[str, list[tuple[str, str]]]) -> dict[str, list[tuple[str, str]]]:
        out: dict[str, list[tuple[str, str]]] = {}
        for day in DAYS:  # stored in week order
            ranges = v.get(day)
            if not ranges:
                continue
            if len(ranges) > MAX_RANGES_PER_DAY:
                raise ValueError(f"{day}: at most {MAX_RANGES_PER_DAY} ranges a day.")
            for start, end in ranges:
                for t in (start, end):
                    if not _HHMM.match(t):
                        raise ValueError(f"{day}: {t!r} is not a time; write HH:MM, e.g. 09:00.")
                if start == "24:00":
                    raise ValueError(f"{day}: a range cannot start at 24:00.")
                if _minutes(start) >= _minutes(end):
                    raise ValueError(
                        f"{day}: {start}–{end} must start before it ends; for hours past "
                        "midnight, end this day at 24:00 and continue the next day from 00:00."
                    )
            ordered = sorted(ranges, key=lambda r: _minutes(r[0]))
            for (_, end), (start, _) in zip(ordered, ordered[1:], strict=False):
                if _minutes(start) < _minutes(end):
                    raise ValueError(f"{day}: ranges overlap ({start} starts before {end}).")
            out[day] = [(s, e) for s, e in ordered]
        return out

    @model_validator(mode="after")
    def _sorted_holidays(self) -> BusinessHours:
        self.holidays = sorted(set(self.holidays))
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The site's time zone."""
        return _zone(self.timezone)

    def stored(self) -> dict[str, Any]:
        """The JSON kept in ``site.business_hours``."""
        return {
            "timezone": self.timezone,
            "days": {d: [list(r) for r in ranges] for d, ranges in self.days.items()},
            "holidays": [h.isoformat() for h in self.holidays],
        }


HoursLike = BusinessHours | Mapping[str, Any] | None


def parse(hours: HoursLike) -> BusinessHours | None:
    """Stored JSON (or a model) as a model; None stays None (always open)."""
    if hours is None or isinstance(hours, BusinessHours):
        return hours
    return BusinessHours.model_validate(dict(hours))


def _aware(now: datetime) -> datetime:
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def _ranges(hours: BusinessHours, day: date) -> list[tuple[int, int]]:
    if day in hours.holidays:
        return []
    return [(_minutes(s), _minutes(e)) for s, e in hours.days.get(DAYS[day.weekday()], [])]


def is_open(hours: HoursLike, now: datetime) -> bool:
    """Whether the team is in at ``now`` (naive datetimes are taken as UTC)."""
    bh = parse(hours)
    if bh is None:
        return True
    local = _aware(now).astimezone(bh.zone)
    minute = local.hour * 60 + local.minute + local.second / 60
    return any(start <= minute < end for start, end in _ranges(bh, local.date()))


def _instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The first moment the local wall clock reads ``minute`` on ``day``, or later.

    A time skipped by a daylight-saving jump (02:30 on a spring-forward night) is
    reached when the clocks jump, which is the moment is_open starts saying yes.
    """
    wall = datetime.combine(day, time()) + timedelta(minutes=minute)
    naive = wall.replace(tzinfo=None)
    candidate = naive.replace(tzinfo=zone, fold=0)
    if candidate.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
        return candidate
    # In a gap: the jump lies between the two readings of this wall time.
    lo = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    hi = candidate.astimezone(UTC)
    lo, hi = min(lo, hi), max(lo, hi)
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(zone).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return hi.replace(microsecond=0).astimezone(zone)


def next_opening(hours: HoursLike, now: datetime) -> datetime | None:
    """When the team is next in: ``now`` if open, the next opening (in the site's time
    zone) if closed, None if no opening within a year (always closed)."""
    bh = parse(hours)
    now = _aware(now)
    if bh is None:
        return now
    zone = bh.zone
    local = now.astimezone(zone)
    minute = local.hour * 60 + local.minute + local.second / 60
    for offset in range(HORIZON_DAYS):
        day = local.date() + timedelta(days=offset)
        for start, end in _ranges(bh, day):
            if offset == 0 and end <= minute:
                continue
            if offset == 0 and start <= minute:
                return now
            at = _instant(day, start, zone)
            if at > now:
                return at
    return None


def describe(hours: HoursLike, now: datetime) -> tuple[bool, datetime | None]:
    """(open now, next opening when closed) — what the widget shows in its header."""
    if is_open(hours, now):
        return True, None
    return False, next_opening(hours, now)
