"""Gating: thresholds from a config file and comparison with a saved baseline run."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from evals.metrics import _core, flatten, lower_is_better

__all__ = [
    "DEFAULT_COMPARE",
    "Baseline",
    "Check",
    "GateError",
    "Thresholds",
    "check_thresholds",
    "compare_baseline",
    "load_baseline",
    "load_thresholds",
    "newly_failing",
]

#: Metrics compared with a baseline unless the thresholds file lists its own.
DEFAULT_COMPARE = (
    "pass_rate",
    "outcome_accuracy",
    "intent_accuracy",
    "out_of_scope.precision",
    "out_of_scope.recall",
    "escalation.precision",
    "escalation.recall",
    "escalation.human_request_recall",
    "retrieval.hit@1",
    "retrieval.hit@3",
    "retrieval.mrr",
    "answers.fact_recall",
    "answers.groundedness",
    "conversations.final_accuracy",
    "conversations.handoff_recall",
    "latency_ms.p50",
    "latency_ms.p95",
)

_CORE_NAMES = frozenset(flatten(_core([])))


class GateError(ValueError):
    """A thresholds or baseline file is unusable (the message names the file)."""


def _known(name: str) -> bool:
    parts = name.split(".")
    if parts[0] in ("by_lang", "by_tag") and len(parts) >= 3:
        return ".".join(parts[2:]) in _CORE_NAMES
    return name in _CORE_NAMES


@dataclass
class Thresholds:
    """Floors, ceilings and the tolerated drop against a baseline."""

    tolerance: float = 0.02  # absolute drop allowed for rates (0..1)
    latency_tolerance: float = 1.0  # relative rise allowed for latencies (1.0: may double)
    minimum: dict[str, float] = field(default_factory=dict)
    maximum: dict[str, float] = field(default_factory=dict)
    compare: tuple[str, ...] = DEFAULT_COMPARE
    source: str = ""


def load_thresholds(path: str | Path) -> Thresholds:
    """Read a thresholds YAML file (tolerance, latency_tolerance, compare, min, max)."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise GateError(f"{p}: cannot read thresholds ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise GateError(f"{p}: invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise GateError(f"{p}: expected a mapping")
    unknown = set(data) - {"tolerance", "latency_tolerance", "compare", "min", "max"}
    if unknown:
        raise GateError(f"{p}: unknown keys {', '.join(sorted(unknown))}")

    def limits(key: str) -> dict[str, float]:
        raw = data.get(key) or {}
        if not isinstance(raw, dict):
            raise GateError(f"{p}: '{key}' maps metric names to numbers")
        out = {}
        for name, value in raw.items():
            if not _known(str(name)):
                raise GateError(f"{p}: {key}: unknown metric {name!r}")
            if not isinstance(value, int | float):
                raise GateError(f"{p}: {key}: {name} must be a number")
            out[str(name)] = float(value)
        return out

    compare = tuple(str(n) for n in data.get("compare") or DEFAULT_COMPARE)
    for name in compare:
        if not _known(name):
            raise GateError(f"{p}: compare: unknown metric {name!r}")
    return Thresholds(
        tolerance=float(data.get("tolerance", 0.02)),
        latency_tolerance=float(data.get("latency_tolerance", 1.0)),
        minimum=limits("min"),
        maximum=limits("max"),
        compare=compare,
        source=str(p),
    )


@dataclass
class Check:
    """One gate: a metric against a floor, a ceiling or its baseline value."""

    metric: str
    kind: str  # "min" | "max" | "baseline"
    value: float | None
    reference: float | None  # the limit, or the baseline value
    passed: bool
    message: str

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "metric": self.metric,
            "kind": self.kind,
            "value": self.value,
            "reference": self.reference,
            "passed": self.passed,
            "message": self.message,
        }


def _fmt(name: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.0f} ms" if lower_is_better(name) else f"{value:.3f}"


def check_thresholds(metrics: Mapping[str, Any], thresholds: Thresholds) -> list[Check]:
    """Each configured floor and ceiling, passed or not (an unmeasured metric fails)."""
    flat = flatten(metrics)
    checks = []
    for kind, limits in (("min", thresholds.minimum), ("max", thresholds.maximum)):
        for name, limit in limits.items():
            value = flat.get(name)
            if value is None:
                checks.append(Check(name, kind, None, limit, False, f"{name} was not measured"))
                continue
            ok = value >= limit if kind == "min" else value <= limit
            sign = ">=" if kind == "min" else "<="
            checks.append(
                Check(
                    name,
                    kind,
                    value,
                    limit,
                    ok,
                    f"{name} {_fmt(name, value)} {'meets' if ok else 'fails'} "
                    f"{sign} {_fmt(name, limit)}",
                )
            )
    return checks


@dataclass
class Baseline:
    """A saved run (the JSON report of `parley eval run --json`)."""

    metrics: dict[str, Any]
    cases: list[dict[str, Any]]
    meta: dict[str, Any]
    source: str


def load_baseline(path: str | Path) -> Baseline:
    """Read a saved JSON report to compare against."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GateError(f"{p}: cannot read baseline ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise GateError(f"{p}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    if not isinstance(data, dict) or not isinstance(data.get("metrics"), dict):
        raise GateError(f"{p}: not an eval report (no 'metrics' object)")
    return Baseline(
        metrics=data["metrics"],
        cases=list(data.get("cases") or []),
        meta=dict(data.get("meta") or {}),
        source=str(p),
    )


def compare_baseline(
    metrics: Mapping[str, Any], baseline: Mapping[str, Any], thresholds: Thresholds
) -> list[Check]:
    """Each compared metric against the baseline: a drop beyond the tolerance fails."""
    now, before = flatten(metrics), flatten(baseline)
    checks = []
    for name in thresholds.compare:
        value, ref = now.get(name), before.get(name)
        if ref is None:
            continue  # not measured in the baseline: nothing to regress from
        if value is None:
            checks.append(Check(name, "baseline", None, ref, False, f"{name} no longer measured"))
            continue
        if lower_is_better(name):
            # Latencies: relative, and never fail on a rise of a few ms.
            allowed = max(ref * (1 + thresholds.latency_tolerance), ref + 50.0)
            ok = value <= allowed
            delta = f"{value - ref:+.0f} ms"
        else:
            ok = value >= ref - thresholds.tolerance - 1e-9
            delta = f"{value - ref:+.3f}"
        checks.append(
            Check(
                name,
                "baseline",
                value,
                ref,
                ok,
                f"{name} {_fmt(name, value)} vs baseline {_fmt(name, ref)} ({delta})"
                + ("" if ok else " — regression"),
            )
        )
    return checks


def newly_failing(
    cases: Sequence[Mapping[str, Any]], baseline_cases: Sequence[Mapping[str, Any]]
) -> list[str]:
    """Ids of cases that passed in the baseline and fail now."""
    before = {str(c.get("id")): bool(c.get("passed")) for c in baseline_cases}
    return [str(c["id"]) for c in cases if before.get(str(c["id"])) and not c.get("passed")]
