"""Suite metrics and the gate (thresholds, baseline) on hand-built case results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evals.gate import (
    GateError,
    Thresholds,
    check_thresholds,
    compare_baseline,
    load_baseline,
    load_thresholds,
    newly_failing,
)
from evals.metrics import compute_metrics, flatten, lower_is_better
from evals.results import CaseResult, TurnRecord


def single(
    id: str,
    expected: str,
    outcome: str,
    *,
    lang: str = "en",
    tags: tuple[str, ...] = (),
    intent: str = "question",
    expected_intent: str | None = None,
    rank: int | None = None,
    articles: tuple[str, ...] = (),
    fact_recall: float | None = None,
    groundedness: float | None = None,
    latency: float = 100.0,
) -> CaseResult:
    """A single-turn result; passed when the outcome is the expected one."""
    return CaseResult(
        id=id,
        kind="single",
        source=f"s.jsonl:{id}",
        lang=lang,
        tags=list(tags),
        expected=expected,
        outcome=outcome,
        intent=intent,
        articles=[],
        reply="",
        passed=expected == outcome,
        detected_lang=lang,
        expected_intent=expected_intent,
        expected_articles=list(articles),
        rank=rank,
        fact_recall=fact_recall,
        groundedness=groundedness,
        latency_ms=latency,
    )


def turn(latency: float) -> TurnRecord:
    """A bot turn of a conversation."""
    return TurnRecord(
        "hi", "hello", "smalltalk", "greeting", 0.9, "en", [], [], None, "support", latency
    )


def conversation(
    id: str, expected: str, outcome: str, *, recall: float | None, department: str | None
) -> CaseResult:
    """A conversation result."""
    return CaseResult(
        id=id,
        kind="conversation",
        source=f"c.jsonl:{id}",
        lang="en",
        tags=["conv"],
        expected=expected,
        outcome=outcome,
        intent="",
        articles=[],
        reply="",
        passed=expected == outcome,
        detected_lang="en",
        handoff_recall=recall,
        department=department,
        expected_department="billing",
        turns=[turn(300.0), turn(500.0)],
    )


@pytest.fixture
def results() -> list[CaseResult]:
    """Ten cases and two conversations with known metrics."""
    return [
        # 4 answerable questions: ranks 1, 2, None, 1; one escalated by mistake.
        single(
            "a1",
            "answer",
            "answer",
            rank=1,
            articles=("x",),
            fact_recall=1.0,
            groundedness=1.0,
            tags=("t",),
        ),
        single(
            "a2", "answer", "answer", rank=2, articles=("x",), fact_recall=0.5, groundedness=0.5
        ),
        single(
            "a3", "answer", "out_of_scope", rank=None, articles=("x",), fact_recall=0.0, lang="es"
        ),
        single("a4", "answer", "escalate", rank=1, articles=("x",), fact_recall=0.0, lang="es"),
        # 2 out-of-scope: one caught, one answered (with a made-up answer).
        single("o1", "out_of_scope", "out_of_scope", tags=("t",)),
        single("o2", "out_of_scope", "answer", groundedness=0.0),
        # 3 escalations, 2 explicit human requests; one missed.
        single(
            "e1", "escalate", "escalate", intent="human_request", expected_intent="human_request"
        ),
        single("e2", "escalate", "escalate", intent="complaint", expected_intent="human_request"),
        single("e3", "escalate", "out_of_scope", intent="question", expected_intent="complaint"),
        single(
            "s1",
            "smalltalk",
            "smalltalk",
            intent="greeting",
            expected_intent="greeting",
            latency=900.0,
        ),
        conversation("c1", "escalated", "escalated", recall=1.0, department="billing"),
        conversation("c2", "answered", "escalated", recall=0.5, department="support"),
    ]


def test_metrics_have_the_known_values(results: list[CaseResult]) -> None:
    m = compute_metrics(results)
    assert m["cases"] == 12 and m["passed"] == 7
    assert m["pass_rate"] == round(7 / 12, 4)
    assert m["outcome_accuracy"] == 0.6  # 6 of 10 single-turn cases
    assert m["intent_accuracy"] == 0.5  # e1 and s1 of e1, e2, e3, s1
    assert m["out_of_scope"]["precision"] == 0.3333  # o1 of {a3, o1, e3}
    assert m["out_of_scope"]["recall"] == 0.5
    assert m["escalation"]["precision"] == 0.6667  # e1, e2 of {a4, e1, e2}
    assert m["escalation"]["recall"] == 0.6667
    assert m["escalation"]["human_request_recall"] == 1.0
    assert m["escalation"]["reached_human"] == 1.0  # e3 reached a person through "I don't know"
    assert m["retrieval"] == {"hit@1": 0.5, "hit@3": 0.75, "mrr": 0.625, "n": 4}
    assert m["answers"]["fact_recall"] == 0.75  # a1, a2 answered
    assert m["answers"]["fact_recall_all"] == 0.375
    assert m["answers"]["groundedness"] == 0.5  # a1, a2, o2
    assert m["answers"]["fully_grounded"] == 0.3333
    conv = m["conversations"]
    assert (conv["n"], conv["final_accuracy"], conv["resolution_rate"]) == (2, 0.5, 0.0)
    assert (conv["handoff_recall"], conv["department_accuracy"], conv["turns"]) == (0.75, 0.5, 4)
    # 10 single turns (9 at 100 ms, one at 900) and 4 conversation turns (300, 500, 300, 500).
    assert m["latency_ms"]["turns"] == 14
    assert m["latency_ms"]["p50"] == 100.0
    assert m["latency_ms"]["max"] == 900.0
    assert m["confusion"]["outcome"]["answer"]["escalate"] == 1
    assert m["confusion"]["intent"]["human_request"]["complaint"] == 1


def test_breakdowns_by_language_and_tag(results: list[CaseResult]) -> None:
    m = compute_metrics(results)
    assert set(m["by_lang"]) == {"en", "es"}
    assert m["by_lang"]["es"]["cases"] == 2
    assert m["by_lang"]["es"]["outcome_accuracy"] == 0.0
    assert m["by_lang"]["es"]["retrieval"]["hit@1"] == 0.5
    assert m["by_tag"]["t"]["pass_rate"] == 1.0
    assert m["by_tag"]["conv"]["conversations"]["n"] == 2


def test_flatten_gives_dotted_rate_names(results: list[CaseResult]) -> None:
    flat = flatten(compute_metrics(results))
    assert flat["retrieval.hit@1"] == 0.5
    assert flat["by_lang.es.outcome_accuracy"] == 0.0
    assert "cases" not in flat and "retrieval.n" not in flat
    assert not any(name.startswith("confusion") for name in flat)
    assert lower_is_better("latency_ms.p95") and lower_is_better("by_tag.t.latency_ms.p50")
    assert not lower_is_better("retrieval.mrr")


def test_thresholds_floors_and_ceilings(results: list[CaseResult]) -> None:
    m = compute_metrics(results)
    limits = Thresholds(
        minimum={"outcome_accuracy": 0.6, "retrieval.hit@3": 0.8, "by_lang.fr.pass_rate": 0.1},
        maximum={"latency_ms.p95": 1000.0},
    )
    checks = {c.metric: c for c in check_thresholds(m, limits)}
    assert checks["outcome_accuracy"].passed  # equal to the floor passes
    assert not checks["retrieval.hit@3"].passed
    assert not checks["by_lang.fr.pass_rate"].passed  # no French case: not measured
    assert "not measured" in checks["by_lang.fr.pass_rate"].message
    assert checks["latency_ms.p95"].passed


def test_baseline_comparison_with_tolerance(results: list[CaseResult]) -> None:
    m = compute_metrics(results)
    better = compute_metrics(results)
    better["retrieval"]["hit@1"] = 0.52  # 0.02 better: within a 0.03 tolerance
    better["outcome_accuracy"] = 0.7  # 0.1 better: a regression now
    better["latency_ms"]["p95"] = 200.0
    checks = {c.metric: c for c in compare_baseline(m, better, Thresholds(tolerance=0.03))}
    assert checks["retrieval.hit@1"].passed
    assert not checks["outcome_accuracy"].passed
    assert "regression" in checks["outcome_accuracy"].message
    # Latency may double (latency_tolerance 1.0) but not more: p95 here is 900 ms vs 200.
    assert not checks["latency_ms.p95"].passed
    same = compare_baseline(m, m, Thresholds(tolerance=0.0))
    assert all(c.passed for c in same)


def test_newly_failing_cases() -> None:
    now = [{"id": "a", "passed": False}, {"id": "b", "passed": True}, {"id": "c", "passed": False}]
    before = [{"id": "a", "passed": True}, {"id": "b", "passed": False}]
    assert newly_failing(now, before) == ["a"]


def test_thresholds_file(tmp_path: Path) -> None:
    good = tmp_path / "t.yaml"
    good.write_text(
        "tolerance: 0.05\nmin:\n  retrieval.hit@1: 0.7\n  by_tag.x.pass_rate: 0.5\n"
        "max:\n  latency_ms.p95: 900\ncompare: [pass_rate]\n"
    )
    t = load_thresholds(good)
    assert t.tolerance == 0.05 and t.minimum["retrieval.hit@1"] == 0.7
    assert t.maximum == {"latency_ms.p95": 900.0} and t.compare == ("pass_rate",)
    bad: dict[str, str] = {
        "unknown metric 'hit@1'": "min:\n  hit@1: 0.7\n",
        "unknown keys": "minimum:\n  pass_rate: 0.7\n",
        "must be a number": "min:\n  pass_rate: high\n",
        "invalid YAML": "min: [\n",
    }
    for message, text in bad.items():
        path = tmp_path / "bad.yaml"
        path.write_text(text)
        with pytest.raises(GateError, match=message) as err:
            load_thresholds(path)
        assert str(path) in str(err.value)


def test_baseline_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text('{"metrics": {"pass_rate": 1.0},\n "cases": [}')
    with pytest.raises(GateError, match=r"b\.json:2: invalid JSON"):
        load_baseline(path)
    path.write_text('{"cases": []}')
    with pytest.raises(GateError, match="not an eval report"):
        load_baseline(path)
    with pytest.raises(GateError, match="cannot read"):
        load_baseline(tmp_path / "missing.json")


def test_case_result_json_round_trip(results: list[CaseResult]) -> None:
    case = results[-1]
    case.why = ["expected answered, escalated at turn 2", "department support, expected billing"]
    data: dict[str, Any] = case.to_json()
    assert (
        data["why"]
        == "expected answered, escalated at turn 2; department support, expected billing"
    )
    again = CaseResult.from_json(data)
    assert again.why == case.why and again.turns == case.turns
