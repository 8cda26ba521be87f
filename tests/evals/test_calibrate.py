"""`parley eval calibrate`: sweep the answer threshold over a suite on the real graph."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from evals.calibrate import CalibrationRow, apply_threshold, best_row, default_grid
from graphs.support.policy import Policy
from tests.evals.test_runner import DATA, parley

POLICY = Path(__file__).parents[2] / "prompts" / "policy.yaml"


def test_sweep_moves_from_answering_to_declining(eval_cache: Path, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    shutil.copy(POLICY, policy)
    result = parley(
        "calibrate", DATA, "--cache-dir", eval_cache, "--low", "0.3", "--high", "0.9",
        "--step", "0.3", "--json", "--apply", policy,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    rows = {row["threshold"]: row for row in report["rows"]}
    assert sorted(rows) == [0.3, 0.6, 0.9]
    # At 0.9 nothing in the knowledge base is close enough: the bot answers nothing and
    # declines every out-of-scope question; a low threshold answers what it should.
    assert rows[0.9]["answered"] == 0.0 and rows[0.9]["oos_recall"] == 1.0
    assert rows[0.3]["answered"] > 0.5
    assert report["best"]["threshold"] != 0.9
    # --apply wrote the winner into the policy file, which the bot then loads.
    assert Policy.from_yaml(policy).answer_threshold == report["best"]["threshold"]
    assert "# Escalation policy" in policy.read_text()  # comments kept


def test_ties_go_to_the_higher_threshold() -> None:
    def row(t: float, passed: float) -> CalibrationRow:
        return CalibrationRow(t, 0.8, passed, 0.8, 0.5, 0.5, 0.7)

    assert best_row([row(0.3, 0.6), row(0.4, 0.6), row(0.5, 0.55)]).threshold == 0.4
    assert best_row([row(0.3, 0.6), row(0.4, 0.5)], "outcome_accuracy").threshold == 0.4
    assert best_row([row(0.3, 0.7), row(0.4, 0.5)]).threshold == 0.3


def test_grid_and_bad_input(tmp_path: Path) -> None:
    assert default_grid(0.3, 0.4, 0.05) == [0.3, 0.35, 0.4]
    bad = parley("calibrate", DATA, "--objective", "vibes")
    assert bad.exit_code == 2 and "--objective must be one of" in bad.stderr
    no_line = tmp_path / "p.yaml"
    no_line.write_text(yaml.safe_dump({"customer_rules": []}))
    try:
        apply_threshold(no_line, 0.4)
    except ValueError as exc:
        assert "answer_threshold" in str(exc)
    else:
        raise AssertionError("a policy without the line must be refused")
