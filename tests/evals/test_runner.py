"""`parley eval run` end to end on a small suite: the real graph, the demo KB, the reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import async_playwright
from typer.testing import CliRunner, Result

from app.cli import app

DATA = Path(__file__).parent / "data"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CASE_KEYS = {"id", "expected", "outcome", "intent", "articles", "reply", "passed", "why"}


def parley(*args: str | Path) -> Result:
    """Run `parley eval ...` in-process (as the installed script would)."""
    return CliRunner().invoke(app, ["eval", *map(str, args)], catch_exceptions=False)


@pytest.fixture(scope="module")
def run(eval_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run of the small suite with every report written."""
    out = tmp_path_factory.mktemp("eval-run")
    result = parley(
        "run", DATA, "--cache-dir", eval_cache, "--json", "-o", out / "report.json",
        "--html", out / "report.html", "--no-progress",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return {"stdout": result.stdout, "dir": out}


def test_json_report_has_the_stable_keys(run: dict[str, Any]) -> None:
    report = json.loads(run["stdout"])
    assert json.loads((run["dir"] / "report.json").read_text()) == report
    assert {"metrics", "cases", "meta", "gate", "schema"} <= set(report)
    assert len(report["cases"]) == 9
    for case in report["cases"]:
        assert set(case) >= CASE_KEYS, case["id"]
        assert isinstance(case["why"], str) and isinstance(case["articles"], list)
        assert case["passed"] == (case["why"] == "")
    metrics = report["metrics"]
    for name in ("outcome_accuracy", "intent_accuracy", "pass_rate", "lang_accuracy"):
        assert 0.0 <= metrics[name] <= 1.0
    assert set(metrics["retrieval"]) >= {"hit@1", "hit@3", "mrr"}
    assert set(metrics["escalation"]) >= {"precision", "recall", "human_request_recall"}
    assert set(metrics["out_of_scope"]) >= {"precision", "recall"}
    assert set(metrics["answers"]) >= {"fact_recall", "groundedness"}
    assert set(metrics["conversations"]) >= {"resolution_rate", "handoff_recall"}
    assert metrics["latency_ms"]["p50"] > 0 and metrics["latency_ms"]["turns"] >= 11
    assert set(metrics["by_lang"]) == {"en", "es"}
    assert "human-request" in metrics["by_tag"]
    assert report["meta"]["kb"].endswith("knowledge/demo")
    assert report["meta"]["cases"] == 7 and report["meta"]["conversations"] == 2

    by_id = {c["id"]: c for c in report["cases"]}
    # Expectations written to fail: the report says what was expected and what happened.
    wrong = by_id["markup-fails"]
    assert not wrong["passed"] and wrong["why"].startswith("expected smalltalk, got ")
    assert wrong["source"].endswith("single.jsonl:7")
    billing = by_id["billing"]
    assert billing["expected"] == "escalated" and len(billing["turns"]) >= 1
    assert billing["source"].endswith("conversations.yaml:2")
    refund = by_id["refund"]
    assert refund["retrieved"] and refund["rank"] is not None


async def test_html_report_opens_in_chromium(run: dict[str, Any]) -> None:
    path: Path = run["dir"] / "report.html"
    html = path.read_text()
    assert "<script" not in html.replace("&lt;script", "")
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    requests: list[str] = []
    errors: list[str] = []
    dialogs: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = await browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("dialog", lambda d: dialogs.append(d.message))
            await page.goto(path.as_uri())
            assert "Parley eval" in await page.title()
            assert await page.locator("svg").count() >= 5  # summary, outcomes, latency, langs, tags
            assert await page.locator("#failures").count() == 1
            failing = page.locator("h2#failures + table")
            text = await failing.inner_text()
            assert "markup-fails" in text
            # The visitor's markup is shown as text, never rendered.
            assert "<img src=x onerror=alert(1)>" in text
            assert await failing.locator("img, b").count() == 0
        finally:
            await browser.close()
    assert requests == [path.as_uri()]  # self-contained: nothing else is fetched
    assert not errors and not dialogs


def test_baseline_regression_exits_non_zero(
    run: dict[str, Any], eval_cache: Path, tmp_path: Path
) -> None:
    report = json.loads(run["stdout"])
    better = json.loads(json.dumps(report))
    better["metrics"]["pass_rate"] = 1.0
    better["metrics"]["retrieval"]["mrr"] = 1.0
    for case in better["cases"]:
        case["passed"] = True
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(better))
    result = parley("run", DATA, "--cache-dir", eval_cache, "--baseline", baseline, "--no-progress")
    assert result.exit_code == 1, result.output
    assert "pass_rate" in result.output and "regression" in result.output
    assert "Newly failing since the baseline: markup-fails" in result.output
    # The same report against itself passes; a floor above it fails, without re-running.
    same = tmp_path / "same.json"
    same.write_text(run["stdout"])
    assert parley("compare", same, "--baseline", same).exit_code == 0
    floors = tmp_path / "thresholds.yaml"
    floors.write_text("min:\n  pass_rate: 0.99\n")
    failed = parley("compare", same, "--thresholds", floors, "--json")
    assert failed.exit_code == 1
    gate = json.loads(failed.stdout)["gate"]
    assert not gate["passed"] and gate["checks"][0]["metric"] == "pass_rate"


def test_malformed_suite_names_the_line(tmp_path: Path) -> None:
    suite = tmp_path / "broken.jsonl"
    suite.write_text(
        '{"id": "a", "text": "hi", "expected": "smalltalk"}\n'
        '{"id": "b", "text": "hi", "expected": "smalltalk", "tags": "greeting"}\n'
    )
    result = parley("run", suite, "--no-progress")
    assert result.exit_code == 2
    assert f"{suite}:2: case 'b': field 'tags'" in result.stderr
    bad_kb = parley("run", DATA, "--kb", tmp_path / "missing", "--no-progress")
    assert bad_kb.exit_code == 2 and "no such file or directory" in bad_kb.stderr


def test_articles_must_exist_in_the_knowledge_base(eval_cache: Path, tmp_path: Path) -> None:
    suite = tmp_path / "s.jsonl"
    suite.write_text(
        '{"id": "a", "text": "refunds?", "expected": "answer", "article": "refund-policy"}\n'
    )
    result = parley(
        "run", suite, "--kb", Path(__file__).parents[2] / "knowledge" / "demo",
        "--cache-dir", eval_cache, "--no-progress",
    )  # fmt: skip
    assert result.exit_code == 2
    assert f"{suite}:1: article 'refund-policy' is not in the knowledge base" in result.stderr


@pytest.mark.parametrize("command", [[], ["run"], ["validate"], ["compare"], ["calibrate"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = parley(*command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output
