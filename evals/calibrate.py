"""Calibrate the answer threshold: run a suite at several thresholds, keep the best.

The threshold (the retrieval score below which the bot admits it does not know and
offers a person) trades wrong answers against needless escalations. Rather than guess,
`parley eval calibrate` runs the real graph over the suite at each candidate value and
picks the one with the best objective (by default the share of cases fully right);
ties go to the higher threshold, because a confident off-topic answer costs more trust than an
escalation costs agent time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from evals.metrics import compute_metrics
from evals.runner import RunConfig, configured_store, open_knowledge_base, run_eval
from evals.suites import Suite

__all__ = [
    "OBJECTIVES",
    "CalibrationRow",
    "apply_threshold",
    "best_row",
    "calibrate",
    "default_grid",
]


@dataclass(frozen=True)
class CalibrationRow:
    """The suite's figures at one answer threshold."""

    threshold: float
    outcome_accuracy: float
    pass_rate: float
    answered: float  # share of answerable cases the bot answered
    oos_precision: float
    oos_recall: float
    conversations: float  # conversations whose final outcome was right

    def as_dict(self) -> dict[str, float]:
        """JSON-friendly figures."""
        return {k: round(float(v), 4) for k, v in self.__dict__.items()}


def default_grid(low: float = 0.26, high: float = 0.46, step: float = 0.02) -> list[float]:
    """Thresholds from low to high (inclusive) in equal steps."""
    count = round((high - low) / step)
    return [round(low + i * step, 4) for i in range(count + 1)]


def _row(threshold: float, metrics: dict[str, Any], results: Sequence[Any]) -> CalibrationRow:
    answerable = [r for r in results if getattr(r, "expected", None) == "answer"]
    answered = sum(1 for r in answerable if r.outcome == "answer") / max(len(answerable), 1)
    oos = metrics.get("out_of_scope") or {}
    return CalibrationRow(
        threshold=threshold,
        outcome_accuracy=float(metrics.get("outcome_accuracy") or 0.0),
        pass_rate=float(metrics.get("pass_rate") or 0.0),
        answered=answered,
        oos_precision=float(oos.get("precision") or 0.0),
        oos_recall=float(oos.get("recall") or 0.0),
        conversations=float((metrics.get("conversations") or {}).get("final_accuracy") or 0.0),
    )


OBJECTIVES: dict[str, Callable[[CalibrationRow], float]] = {
    # Cases fully right (outcome, article, facts): the suite's own verdict. Outcome
    # accuracy alone is dominated by the many answerable cases and drifts low, answering
    # half the off-topic questions; balanced weighs "answered what it should" and
    # "declined what it should" equally.
    "pass_rate": lambda r: r.pass_rate,
    "outcome_accuracy": lambda r: r.outcome_accuracy,
    "balanced": lambda r: (r.answered + r.oos_recall) / 2,
}


def best_row(rows: Sequence[CalibrationRow], objective: str = "pass_rate") -> CalibrationRow:
    """Best on the objective; then the better conversations; then the higher threshold."""
    score = OBJECTIVES[objective]
    return max(rows, key=lambda r: (round(score(r), 4), r.conversations, r.threshold))


async def calibrate(
    suite: Suite,
    config: RunConfig,
    thresholds: Sequence[float],
    *,
    on_threshold: Callable[[float], None] | None = None,
) -> list[CalibrationRow]:
    """Run the suite once per threshold on one knowledge base and one context."""
    from graphs.support.runtime import build_context

    rows: list[CalibrationRow] = []
    with ExitStack() as stack:
        kb_dir = config.kb or suite.kb
        if kb_dir is not None:
            kb = stack.enter_context(open_knowledge_base(kb_dir, cache_dir=config.cache_dir))
        else:
            kb = configured_store()
        context = build_context(kb, intents_path=config.intents)
        for threshold in thresholds:
            if on_threshold is not None:
                on_threshold(threshold)
            run = await run_eval(
                suite,
                replace(config, knobs={**config.knobs, "answer_threshold": threshold}),
                store=kb,
                context=context,
            )
            rows.append(_row(threshold, compute_metrics(run.results), run.results))
    return rows


_THRESHOLD_LINE = re.compile(r"^(\s*answer_threshold:\s*)([0-9.]+)(.*)$", re.MULTILINE)


def apply_threshold(policy_file: Path, threshold: float) -> None:
    """Write the threshold into a policy file, keeping its comments and layout."""
    text = policy_file.read_text(encoding="utf-8")
    if not _THRESHOLD_LINE.search(text):
        raise ValueError(f"{policy_file}: no 'answer_threshold:' line under low_confidence")
    policy_file.write_text(
        _THRESHOLD_LINE.sub(lambda m: f"{m.group(1)}{threshold:g}{m.group(3)}", text, count=1),
        encoding="utf-8",
    )
