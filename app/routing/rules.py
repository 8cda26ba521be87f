"""Evaluating routing rules: pure functions over the facts of one conversation.

No database and no clock of their own, so every condition and action can be tested
table-driven. ``evaluate`` returns the first enabled rule whose conditions all hold,
else the default rule, with a sentence per condition saying why it matched.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlsplit

from pydantic import TypeAdapter, ValidationError

from app.routing.models import RoutingRule
from app.routing.schemas import (
    Actions,
    AttributeCondition,
    CategoryCondition,
    Condition,
    CustomerCondition,
    DepartmentCondition,
    HoursCondition,
    IntentCondition,
    LanguageCondition,
    PageCondition,
    PriorityCondition,
    WeekdayCondition,
)
from app.sites import hours as bh

log = logging.getLogger(__name__)

_CONDITIONS: TypeAdapter[list[Condition]] = TypeAdapter(list[Condition])


@dataclass
class Facts:
    """What rules may look at, gathered once per decision."""

    now: datetime
    category: list[str] = field(default_factory=list)  # pre-chat category and department
    department: str | None = None
    intent: str | None = None
    language: str | None = None
    customer: str = "anonymous"  # anonymous | identified | returning
    attributes: dict[str, Any] = field(default_factory=dict)
    priority: int = 0
    url: str = ""
    hours: bh.HoursLike = None  # the team's hours, else the site's; None: always open


@dataclass
class Decision:
    """The rule that decided (None: no rules at all), why, and what it asks for."""

    rule: RoutingRule | None
    actions: Actions
    reasons: list[str]

    @property
    def is_default(self) -> bool:
        """Whether no ordinary rule matched."""
        return self.rule is None or self.rule.is_default


def _lang_matches(lang: str | None, wanted: list[str]) -> bool:
    if not lang:
        return False
    lang = lang.lower()
    primary = lang.split("-")[0]
    return any(w in (lang, primary) or w.split("-")[0] == lang for w in wanted)


def page_matches(url: str, match: str, value: str) -> bool:
    """Whether ``url`` contains ``value`` or matches it as a glob (case-insensitive)."""
    u, v = url.lower(), value.lower()
    if match == "contains":
        return v in u
    target = u
    if v.startswith("/"):
        parts = urlsplit(u)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return fnmatchcase(target, v)


def _number(x: Any) -> float | None:
    if isinstance(x, bool):
        return None
    if isinstance(x, int | float):
        return float(x)
    if isinstance(x, str):
        try:
            return float(x)
        except ValueError:
            return None
    return None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.strip().lower() == b.strip().lower()
    if isinstance(a, bool) or isinstance(b, bool):
        # Attributes arrive from JS and CRMs as true, "true" or "yes".
        def truthy(x: Any) -> bool | None:
            if isinstance(x, bool):
                return x
            if isinstance(x, str) and x.strip().lower() in ("true", "yes", "1"):
                return True
            if isinstance(x, str) and x.strip().lower() in ("false", "no", "0"):
                return False
            return None

        return truthy(a) is not None and truthy(a) == truthy(b)
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return na == nb
    return bool(a == b)


def _in_list(op: str, actual: str | None, wanted: list[str]) -> bool:
    hit = actual is not None and actual.lower() in wanted
    return hit if op == "in" else not hit


def matches(cond: Condition, f: Facts) -> bool:
    """Whether one condition holds for these facts."""
    if isinstance(cond, CategoryCondition):
        hit = any(c.lower() in cond.value for c in f.category)
        return hit if cond.op == "in" else not hit
    if isinstance(cond, DepartmentCondition):
        return _in_list(cond.op, f.department, cond.value)
    if isinstance(cond, IntentCondition):
        return _in_list(cond.op, f.intent, cond.value)
    if isinstance(cond, LanguageCondition):
        hit = _lang_matches(f.language, cond.value)
        return hit if cond.op == "in" else not hit
    if isinstance(cond, CustomerCondition):
        kinds = {f.customer}
        if f.customer == "returning":
            kinds.add("identified")  # a returning contact is identified too
        hit = bool(kinds & set(cond.value))
        return hit if cond.op == "in" else not hit
    if isinstance(cond, AttributeCondition):
        present = cond.key in f.attributes and f.attributes[cond.key] not in (None, "")
        actual = f.attributes.get(cond.key)
        if cond.op == "exists":
            return present
        if cond.op == "not_exists":
            return not present
        if cond.op == "equals":
            return present and _same(actual, cond.value)
        if cond.op == "not_equals":
            return not (present and _same(actual, cond.value))
        if cond.op == "in":
            assert isinstance(cond.value, list)
            return present and any(_same(actual, v) for v in cond.value)
        number, bound = _number(actual), _number(cond.value)
        if number is None or bound is None:
            return False
        return number >= bound if cond.op == "gte" else number <= bound
    if isinstance(cond, PriorityCondition):
        if cond.op == "eq":
            return f.priority == cond.value
        return f.priority >= cond.value if cond.op == "gte" else f.priority <= cond.value
    if isinstance(cond, PageCondition):
        return bool(f.url) and page_matches(f.url, cond.match, cond.value)
    if isinstance(cond, HoursCondition):
        open_now = bh.is_open(f.hours, f.now)
        return open_now if cond.value == "in" else not open_now
    if isinstance(cond, WeekdayCondition):
        parsed = bh.parse(f.hours)
        zone = parsed.zone if parsed is not None else UTC
        now = f.now if f.now.tzinfo else f.now.replace(tzinfo=UTC)
        return bh.DAYS[now.astimezone(zone).weekday()] in cond.value
    raise TypeError(f"unknown condition {cond!r}")  # pragma: no cover


def describe(cond: Condition) -> str:
    """The condition as agents read it in a routing note."""
    if isinstance(cond, AttributeCondition):
        ops = {
            "equals": "is",
            "not_equals": "is not",
            "in": "is one of",
            "gte": "≥",
            "lte": "≤",
        }
        if cond.op == "exists":
            return f"contact {cond.key} is set"
        if cond.op == "not_exists":
            return f"contact {cond.key} is not set"
        value = ", ".join(map(str, cond.value)) if isinstance(cond.value, list) else cond.value
        return f"contact {cond.key} {ops[cond.op]} {value}"
    if isinstance(cond, PriorityCondition):
        return f"priority {dict(eq='=', gte='≥', lte='≤')[cond.op]} {cond.value}"
    if isinstance(cond, PageCondition):
        return f"page {'matches' if cond.match == 'glob' else 'contains'} {cond.value}"
    if isinstance(cond, HoursCondition):
        return "in business hours" if cond.value == "in" else "out of business hours"
    if isinstance(cond, WeekdayCondition):
        return "on " + ", ".join(cond.value)
    name = {"category": "pre-chat category"}.get(cond.field, cond.field)
    verb = "is" if cond.op == "in" else "is not"
    return f"{name} {verb} {' or '.join(map(str, cond.value))}"


def parse_conditions(raw: Sequence[dict[str, Any]]) -> list[Condition]:
    """Stored conditions as models (they were validated when saved)."""
    return _CONDITIONS.validate_python(list(raw))


def evaluate(rules: Sequence[RoutingRule], facts: Facts) -> Decision:
    """The first enabled rule (by position) whose conditions all hold, else the default."""
    default: RoutingRule | None = None
    for rule in sorted(rules, key=lambda r: (r.is_default, r.position, r.id or 0)):
        if rule.is_default:
            default = rule
            continue
        if not rule.enabled:
            continue
        try:
            conditions = parse_conditions(rule.conditions)
            actions = Actions.model_validate(rule.actions)
        except ValidationError:
            # Saved rules are validated; one edited by hand in the database is skipped,
            # never allowed to stop routing.
            log.warning("routing rule %s is not valid; skipped", rule.id)
            continue
        if all(matches(c, facts) for c in conditions):
            reasons = [describe(c) for c in conditions] or ["always"]
            return Decision(rule, actions, reasons)
    try:
        actions = Actions.model_validate(default.actions) if default else Actions()
    except ValidationError:
        actions = Actions()
    return Decision(default, actions, ["no rule matched"])
