"""Report figures as the console reads them (times in seconds, rates 0..1)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class Period(BaseModel):
    """The days covered, in the viewer's time zone; end is exclusive."""

    start: datetime
    end: datetime
    days: int
    tz: str


class TimeStat(BaseModel):
    """A duration measured on ``count`` conversations."""

    count: int
    average: float | None
    median: float | None
    p90: float | None


class Totals(BaseModel):
    """Conversations started in the period and what became of them."""

    conversations: int
    closed: int
    open: int
    ai_resolved: int  # closed, and no person was ever involved
    escalated: int  # handed to the human queue at least once


class Rates(BaseModel):
    """Shares of all conversations in the period (None when there were none)."""

    ai_resolution: float | None
    handoff: float | None


class ReasonCount(BaseModel):
    """How many handoffs gave this reason."""

    reason: str
    count: int


class Csat(BaseModel):
    """Ratings given to conversations of the period."""

    count: int
    average: float | None
    distribution: dict[str, int]  # "1".."5" -> how many
    response_rate: float | None  # rated / closed


class DayRow(BaseModel):
    """One day of the period."""

    date: date
    conversations: int
    ai_resolved: int
    escalated: int


class GroupRow(BaseModel):
    """A team's or an agent's figures."""

    key: str
    name: str
    conversations: int
    escalated: int
    first_response_median: float | None
    wait_median: float | None
    handle_median: float | None
    csat_average: float | None
    csat_count: int


class AgentOption(BaseModel):
    """An agent to filter by."""

    id: int
    name: str


class Options(BaseModel):
    """What the period's conversations can be filtered by."""

    teams: list[str]
    agents: list[AgentOption]


class Report(BaseModel):
    """Every figure of the reports page for one period and filter."""

    period: Period
    team: str | None
    agent_id: int | None
    totals: Totals
    rates: Rates
    handoff_reasons: list[ReasonCount]
    first_response: TimeStat
    wait: TimeStat
    handle: TimeStat
    csat: Csat
    series: list[DayRow]
    teams: list[GroupRow]
    agents: list[GroupRow]
    options: Options
