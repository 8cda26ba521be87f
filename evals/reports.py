"""Reports of a run: the JSON document (the stable contract) and the terminal tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from evals.gate import Check
from evals.metrics import OUTCOMES, compute_metrics
from evals.results import CaseResult

__all__ = ["SCHEMA", "build_report", "print_report"]

#: Version of the JSON report layout; bumped only when a key changes meaning.
SCHEMA = 1


def build_report(
    results: Sequence[CaseResult],
    meta: Mapping[str, Any],
    *,
    checks: Sequence[Check] = (),
    newly_failing: Sequence[str] = (),
    baseline: str | None = None,
    thresholds: str | None = None,
) -> dict[str, Any]:
    """One JSON-serialisable object: ``metrics`` and ``cases`` (plus ``meta`` and ``gate``)."""
    return {
        "schema": SCHEMA,
        "meta": dict(meta),
        "metrics": compute_metrics(results),
        "cases": [r.to_json() for r in results],
        "gate": {
            "passed": all(c.passed for c in checks),
            "baseline": baseline,
            "thresholds": thresholds,
            "checks": [c.as_dict() for c in checks],
            "newly_failing": list(newly_failing),
        },
    }


def _pct(value: Any) -> str:
    return "—" if value is None else f"{100 * float(value):.1f}%"


def _ms(value: Any) -> str:
    return "—" if value is None else f"{float(value):.0f} ms"


#: (label, dotted metric name, formatter) rows of the summary table.
HEADLINE: tuple[tuple[str, str, str], ...] = (
    ("Cases passed", "pass_rate", "pct"),
    ("Outcome accuracy (single-turn)", "outcome_accuracy", "pct"),
    ("Intent accuracy", "intent_accuracy", "pct"),
    ("Language detection", "lang_accuracy", "pct"),
    ("Out-of-scope precision", "out_of_scope.precision", "pct"),
    ("Out-of-scope recall", "out_of_scope.recall", "pct"),
    ("Escalation precision", "escalation.precision", "pct"),
    ("Escalation recall", "escalation.recall", "pct"),
    ("Human-request recall", "escalation.human_request_recall", "pct"),
    ("Retrieval hit@1", "retrieval.hit@1", "pct"),
    ("Retrieval hit@3", "retrieval.hit@3", "pct"),
    ("Retrieval MRR", "retrieval.mrr", "num"),
    ("Fact recall (answered)", "answers.fact_recall", "pct"),
    ("Fact recall (all answerable)", "answers.fact_recall_all", "pct"),
    ("Groundedness", "answers.groundedness", "pct"),
    ("Conversations: final outcome right", "conversations.final_accuracy", "pct"),
    ("Conversations: resolution rate", "conversations.resolution_rate", "pct"),
    ("Handoff recall (must-mention)", "conversations.handoff_recall", "pct"),
    ("Department accuracy", "conversations.department_accuracy", "pct"),
    ("Latency p50", "latency_ms.p50", "ms"),
    ("Latency p95", "latency_ms.p95", "ms"),
)


def get_metric(metrics: Mapping[str, Any], name: str) -> Any:
    """A metric by dotted name ("retrieval.hit@1"), None when absent."""
    value: Any = metrics
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def fmt_metric(kind: str, value: Any) -> str:
    """Format a metric value for people."""
    if kind == "ms":
        return _ms(value)
    if kind == "num":
        return "—" if value is None else f"{float(value):.3f}"
    return _pct(value)


def _delta(kind: str, now: Any, before: Any) -> Text:
    if now is None or before is None:
        return Text("")
    diff = float(now) - float(before)
    if kind == "ms":
        return Text(f"{diff:+.0f} ms", style="red" if diff > 0 else "green")
    if abs(diff) < 1e-9:
        return Text("±0", style="dim")
    shown = f"{100 * diff:+.1f} pt" if kind == "pct" else f"{diff:+.3f}"
    return Text(shown, style="green" if diff > 0 else "red")


def _breakdown(title: str, groups: Mapping[str, Mapping[str, Any]]) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for col in ("", "cases", "passed", "outcome", "hit@1", "facts", "p50"):
        table.add_column(col, justify="left" if not col else "right")
    for name, m in groups.items():
        table.add_row(
            name,
            str(m["cases"]),
            _pct(m["pass_rate"]),
            _pct(m["outcome_accuracy"]),
            _pct(get_metric(m, "retrieval.hit@1")),
            _pct(get_metric(m, "answers.fact_recall_all")),
            _ms(get_metric(m, "latency_ms.p50")),
        )
    return table


def print_report(
    report: Mapping[str, Any],
    console: Console,
    *,
    baseline: Mapping[str, Any] | None = None,
    max_failures: int = 40,
    brief: bool = False,
) -> None:
    """Summary, confusion matrix, breakdowns, failures and the gate verdict as rich tables."""
    metrics, meta = report["metrics"], report.get("meta", {})
    secs = meta.get("seconds", {})
    console.print(
        f"[bold]parley eval[/bold] {meta.get('suite', '')}: {meta.get('cases', 0)} cases, "
        f"{meta.get('conversations', 0)} conversations"
        f"{' (quick)' if meta.get('quick') else ''} on {meta.get('kb', '')} "
        f"({meta.get('articles', '?')} articles) in {secs.get('total', 0):.1f} s"
    )

    summary = Table(title="Summary", title_justify="left", show_edge=False, pad_edge=False)
    summary.add_column("metric")
    summary.add_column("value", justify="right")
    if baseline is not None:
        summary.add_column("baseline", justify="right")
        summary.add_column("Δ", justify="right")
    for label, name, kind in HEADLINE:
        now = get_metric(metrics, name)
        row: list[Any] = [label, fmt_metric(kind, now)]
        if baseline is not None:
            before = get_metric(baseline, name)
            row += [fmt_metric(kind, before), _delta(kind, now, before)]
        summary.add_row(*row)
    console.print(summary)
    if brief:
        failed = sum(1 for c in report["cases"] if not c["passed"])
        console.print(f"{failed} failing cases (run without --brief, or with --html, to see them).")
        _print_gate(report, console)
        return

    matrix = metrics["confusion"]["outcome"]
    conf = Table(
        title="Outcomes (rows: expected, columns: got)", title_justify="left", show_edge=False
    )
    labels = [label for label in matrix if label in OUTCOMES or any(matrix[label].values())]
    conf.add_column("")
    for label in labels:
        conf.add_column(label, justify="right")
    for gold in labels:
        if not any(matrix[gold].values()):
            continue
        conf.add_row(
            gold,
            *[
                Text(str(n), style=("bold green" if gold == pred else "red") if n else "dim")
                for pred, n in ((p, matrix[gold].get(p, 0)) for p in labels)
            ],
        )
    console.print(conf)
    console.print(_breakdown("By language", metrics["by_lang"]))
    console.print(_breakdown("By tag", metrics["by_tag"]))

    failures = [c for c in report["cases"] if not c["passed"]]
    if failures:
        table = Table(
            title=f"Failures ({len(failures)})",
            title_justify="left",
            show_edge=False,
            pad_edge=False,
        )
        table.add_column("case", no_wrap=True)
        table.add_column("said")
        table.add_column("why")
        for case in failures[:max_failures]:
            # Text(): visitor text is shown as typed, never parsed as rich markup.
            table.add_row(Text(case["id"]), Text(case.get("text", "")[:70]), Text(case["why"]))
        console.print(table)
        if len(failures) > max_failures:
            console.print(f"… and {len(failures) - max_failures} more (see --json or --html).")
    _print_gate(report, console)


def _print_gate(report: Mapping[str, Any], console: Console) -> None:
    gate = report.get("gate") or {}
    checks = gate.get("checks") or []
    if checks:
        bad = [c for c in checks if not c["passed"]]
        for c in bad:
            console.print(Text(f"✗ {c['message']}", style="bold red"))
        if gate.get("newly_failing"):
            console.print(
                Text(
                    "Newly failing since the baseline: " + ", ".join(gate["newly_failing"]),
                    style="yellow",
                )
            )
        if bad:
            console.print(Text(f"FAILED: {len(bad)} of {len(checks)} gates", style="bold red"))
        else:
            console.print(Text(f"OK: all {len(checks)} gates pass", style="bold green"))
