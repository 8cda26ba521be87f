"""Reports: volumes, AI resolution and handoff rates, response/wait/handle times, CSAT.

Definitions (the cohort is the conversations *started* in the period):
- AI resolved: closed, and never queued for or assigned to a person.
- Handoff: queued for a person at least once (reason: the first escalation's).
- First response: from the visitor's last message before the escalation (or the
  escalation itself, e.g. the "talk to a human" button) to the first agent message after it.
- Wait: escalation to the first assignment. Handle: first assignment to the close.
- Per agent: the last person who had the conversation. Per team: its current team.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import InvalidInput
from app.reports import repository as repo
from app.reports.repository import Facts
from app.reports.schemas import (
    AgentOption,
    Csat,
    DayRow,
    GroupRow,
    Options,
    Period,
    Rates,
    ReasonCount,
    Report,
    TimeStat,
    Totals,
)

MAX_DAYS = 366
NO_TEAM = "(no team)"


def period(
    days: int | None, start: date | None, end: date | None, tz: str, today: date | None = None
) -> Period:
    """Whole days in ``tz``: the last ``days`` days up to today, or ``start``..``end``."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"Unknown time zone: {tz!r}.") from exc
    if start is not None or end is not None:
        if start is None or end is None:
            raise InvalidInput("Give both start and end, or neither.")
        if end < start:
            raise InvalidInput("The end date is before the start date.")
        first, last = start, end
    else:
        today = today or datetime.now(zone).date()
        n = days or 30
        first, last = today - timedelta(days=n - 1), today
    span = (last - first).days + 1
    if span > MAX_DAYS:
        raise InvalidInput(f"A report covers at most {MAX_DAYS} days.")
    return Period(
        start=datetime.combine(first, time(), zone),
        end=datetime.combine(last + timedelta(days=1), time(), zone),
        days=span,
        tz=tz,
    )


def _seconds(pairs: Iterable[tuple[datetime | None, datetime | None]]) -> list[float]:
    return [(b - a).total_seconds() for a, b in pairs if a is not None and b is not None and b >= a]


def _stat(values: list[float]) -> TimeStat:
    if not values:
        return TimeStat(count=0, average=None, median=None, p90=None)
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, max(0, -(-9 * len(ordered) // 10) - 1))]
    return TimeStat(
        count=len(values),
        average=round(statistics.fmean(values), 1),
        median=round(statistics.median(values), 1),
        p90=round(p90, 1),
    )


def _human(f: Facts) -> bool:
    return f.escalated_at is not None or f.assigned_at is not None


def _ai_resolved(f: Facts) -> bool:
    return f.status == "closed" and not _human(f)


def _first_response(rows: list[Facts]) -> list[float]:
    return _seconds((f.waiting_since or f.escalated_at, f.first_reply_at) for f in rows)


def _wait(rows: list[Facts]) -> list[float]:
    return _seconds((f.escalated_at, f.assigned_at) for f in rows)


def _handle(rows: list[Facts]) -> list[float]:
    return _seconds((f.assigned_at, f.closed_at) for f in rows if f.status == "closed")


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _ratings(rows: list[Facts]) -> list[int]:
    return [f.rating for f in rows if f.rating is not None]


def _groups(
    rows: list[Facts], key: Callable[[Facts], str | None], names: dict[str, str]
) -> list[GroupRow]:
    by: dict[str, list[Facts]] = defaultdict(list)
    for f in rows:
        k = key(f)
        if k is not None:
            by[k].append(f)
    out = []
    for k, group in by.items():
        ratings = _ratings(group)
        out.append(
            GroupRow(
                key=k,
                name=names.get(k, k),
                conversations=len(group),
                escalated=sum(1 for f in group if f.escalated_at is not None),
                first_response_median=_median(_first_response(group)),
                wait_median=_median(_wait(group)),
                handle_median=_median(_handle(group)),
                csat_average=round(statistics.fmean(ratings), 2) if ratings else None,
                csat_count=len(ratings),
            )
        )
    return sorted(out, key=lambda g: (-g.conversations, g.name))


async def overview(
    session: AsyncSession,
    p: Period,
    *,
    team: str | None = None,
    agent_id: int | None = None,
    site_id: int | None = None,
) -> Report:
    """Every figure of the period, optionally for one team and/or one agent."""
    every = await repo.facts(session, p.start, p.end, site_id)
    names = await repo.agent_names(session, {f.agent_id for f in every if f.agent_id})
    options = Options(
        teams=sorted({f.team for f in every if f.team}),
        agents=sorted((AgentOption(id=i, name=n) for i, n in names.items()), key=lambda a: a.name),
    )
    rows = [
        f
        for f in every
        if (team is None or (f.team or NO_TEAM) == team)
        and (agent_id is None or f.agent_id == agent_id)
    ]
    total = len(rows)
    closed = sum(1 for f in rows if f.status == "closed")
    ai = sum(1 for f in rows if _ai_resolved(f))
    escalated = [f for f in rows if f.escalated_at is not None]
    ratings = _ratings(rows)
    zone = ZoneInfo(p.tz)
    days: dict[date, DayRow] = {}
    for i in range(p.days):
        d = p.start.date() + timedelta(days=i)
        days[d] = DayRow(date=d, conversations=0, ai_resolved=0, escalated=0)
    for f in rows:
        day = days.get(f.created_at.astimezone(zone).date())
        if day is None:
            continue
        day.conversations += 1
        day.ai_resolved += _ai_resolved(f)
        day.escalated += f.escalated_at is not None
    return Report(
        period=p,
        team=team,
        agent_id=agent_id,
        totals=Totals(
            conversations=total,
            closed=closed,
            open=total - closed,
            ai_resolved=ai,
            escalated=len(escalated),
        ),
        rates=Rates(
            ai_resolution=round(ai / total, 4) if total else None,
            handoff=round(len(escalated) / total, 4) if total else None,
        ),
        handoff_reasons=[
            ReasonCount(reason=r, count=n)
            for r, n in Counter(f.reason or "unknown" for f in escalated).most_common()
        ],
        first_response=_stat(_first_response(rows)),
        wait=_stat(_wait(rows)),
        handle=_stat(_handle(rows)),
        csat=Csat(
            count=len(ratings),
            average=round(statistics.fmean(ratings), 2) if ratings else None,
            distribution={str(i): ratings.count(i) for i in range(1, 6)},
            response_rate=round(len(ratings) / closed, 4) if closed else None,
        ),
        series=list(days.values()),
        teams=_groups(rows, lambda f: f.team or NO_TEAM, {}),
        agents=_groups(
            rows,
            lambda f: str(f.agent_id) if f.agent_id else None,
            {str(i): n for i, n in names.items()},
        ),
        options=options,
    )
