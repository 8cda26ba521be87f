"""`parley eval`: run offline suites against the real graph and gate changes on the results."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from evals.gate import (
    Baseline,
    Check,
    GateError,
    Thresholds,
    check_thresholds,
    compare_baseline,
    load_baseline,
    load_thresholds,
    newly_failing,
)
from evals.suites import Suite, SuiteError, load_suite

__all__ = ["eval_app"]

eval_app = typer.Typer(
    help="Offline evaluation: run suites through the real bot, report, and gate on regressions.",
    no_args_is_help=True,
)

#: Exit codes: 1 = the gate failed (regression or threshold), 2 = bad input.
EXIT_GATE, EXIT_INPUT = 1, 2

out = Console()
err = Console(stderr=True, soft_wrap=True)


def _fail_input(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/bold red] {message}", highlight=False, markup=True)
    return typer.Exit(EXIT_INPUT)


def _load(suites: list[Path]) -> Suite:
    try:
        return load_suite(suites)
    except SuiteError as exc:
        raise _fail_input(str(exc).replace("[", r"\[")) from None


def _gate(
    report: dict[str, Any], thresholds: Thresholds | None, baseline: Baseline | None
) -> tuple[list[Check], list[str]]:
    checks: list[Check] = []
    if thresholds is not None:
        checks += check_thresholds(report["metrics"], thresholds)
    fresh: list[str] = []
    if baseline is not None:
        checks += compare_baseline(report["metrics"], baseline.metrics, thresholds or Thresholds())
        fresh = newly_failing(report["cases"], baseline.cases)
    return checks, fresh


def _write_outputs(
    report: dict[str, Any], *, output: Path | None, html: Path | None, baseline: Baseline | None
) -> None:
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        err.print(f"JSON report: {output}", highlight=False)
    if html is not None:
        from evals.html import render_html

        html.parent.mkdir(parents=True, exist_ok=True)
        html.write_text(
            render_html(report, baseline=baseline.metrics if baseline else None), encoding="utf-8"
        )
        err.print(f"HTML report: {html}", highlight=False)


def _finish(
    report: dict[str, Any],
    *,
    as_json: bool,
    output: Path | None,
    html: Path | None,
    baseline: Baseline | None,
    thresholds: Thresholds | None,
    brief: bool = False,
) -> None:
    from evals.reports import print_report

    checks, fresh = _gate(report, thresholds, baseline)
    report["gate"] = {
        "passed": all(c.passed for c in checks),
        "baseline": baseline.source if baseline else None,
        "thresholds": thresholds.source if thresholds else None,
        "checks": [c.as_dict() for c in checks],
        "newly_failing": fresh,
    }
    if baseline is not None and bool(baseline.meta.get("quick")) != bool(
        report["meta"].get("quick")
    ):
        err.print(
            "[yellow]warning:[/yellow] the baseline was a "
            f"{'quick' if baseline.meta.get('quick') else 'full'} run, this one is "
            f"{'quick' if report['meta'].get('quick') else 'full'}: figures are not comparable."
        )
    _write_outputs(report, output=output, html=html, baseline=baseline)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print_report(report, out, baseline=baseline.metrics if baseline else None, brief=brief)
    if not report["gate"]["passed"]:
        raise typer.Exit(EXIT_GATE)


def _load_gates(
    baseline_path: Path | None, thresholds_path: Path | None
) -> tuple[Baseline | None, Thresholds | None]:
    try:
        baseline = load_baseline(baseline_path) if baseline_path else None
        thresholds = load_thresholds(thresholds_path) if thresholds_path else None
    except GateError as exc:
        raise _fail_input(str(exc)) from None
    return baseline, thresholds


SuitesArg = Annotated[
    list[Path],
    typer.Argument(
        help="Suite files (.jsonl, .yaml) or directories of them, e.g. evals/demo.",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the JSON report on stdout.")]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Also write the JSON report to this file.")
]
HtmlOpt = Annotated[
    Path | None, typer.Option("--html", help="Write a self-contained HTML report to this file.")
]
BaselineOpt = Annotated[
    Path | None,
    typer.Option("--baseline", help="A saved JSON report: fail on a drop beyond the tolerance."),
]
ThresholdsOpt = Annotated[
    Path | None,
    typer.Option(
        "--thresholds", help="YAML floors/ceilings and tolerance (evals/thresholds.yaml)."
    ),
]


@eval_app.command("run")
def run(
    suites: SuitesArg,
    kb: Annotated[
        Path | None,
        typer.Option(
            help="Directory of articles: build a fresh knowledge base from it "
            "(default: the suite's suite.yaml 'kb', else the configured store)."
        ),
    ] = None,
    intents: Annotated[
        Path | None, typer.Option(help="Intents YAML to use instead of prompts/intents.yaml.")
    ] = None,
    as_json: JsonOpt = False,
    output: OutputOpt = None,
    html: HtmlOpt = None,
    baseline: BaselineOpt = None,
    thresholds: ThresholdsOpt = None,
    quick: Annotated[
        bool, typer.Option("--quick", help="Half of each category: for `make test` and pre-commit.")
    ] = False,
    llm: Annotated[
        bool,
        typer.Option(
            "--llm",
            help="Answer with the configured LLM and let it play the visitor of conversations "
            "with a persona and goal (needs PARLEY_LLM_BASE_URL; skipped with a warning "
            "otherwise).",
        ),
    ] = False,
    workers: Annotated[
        int, typer.Option(min=1, max=16, help="Cases run concurrently (the graph is CPU-bound).")
    ] = 1,
    cache: Annotated[
        bool, typer.Option(help="Reuse a knowledge base built earlier from identical files.")
    ] = True,
    cache_dir: Annotated[
        Path | None,
        typer.Option(help="Where built knowledge bases are kept (default: DATA_DIR/eval-cache)."),
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar on stderr.")] = True,
    brief: Annotated[
        bool, typer.Option("--brief", help="Print only the summary and the gate (for CI logs).")
    ] = False,
) -> None:
    """Run suites through the real support graph and report; exit 1 on a failed gate."""
    from app.config import get_settings
    from evals.reports import build_report
    from evals.runner import RunConfig, run_eval
    from evals.simulate import llm_config

    suite = _load(suites)
    base, limits = _load_gates(baseline, thresholds)
    for path, what in ((kb, "--kb"), (intents, "--intents")):
        if path is not None and not path.exists():
            raise _fail_input(f"{what} {path}: no such file or directory")
    llm_cfg = None
    if llm:
        llm_cfg = llm_config()
        if llm_cfg is None:
            err.print(
                "[yellow]warning:[/yellow] --llm: no LLM configured (PARLEY_LLM_BASE_URL); "
                "conversations use their scripted turns."
            )
    settings = get_settings()
    config = RunConfig(
        kb=kb,
        intents=intents,
        quick=quick,
        llm=llm_cfg,
        graph_llm=llm_cfg is not None,
        workers=workers,
        cache_dir=(cache_dir or settings.data_dir / "eval-cache") if cache else None,
    )

    bar = Progress(
        TextColumn("[bold]eval[/bold] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=not progress,
        transient=True,
    )
    task = bar.add_task("preparing the knowledge base and the graph", total=None)

    def started(total: int) -> None:
        bar.update(task, total=total, description=suite.name)

    def advanced(result: Any) -> None:
        bar.advance(task)

    try:
        with bar:
            run_ = asyncio.run(run_eval(suite, config, on_result=advanced, on_start=started))
    except SuiteError as exc:
        raise _fail_input(str(exc)) from None
    except (FileNotFoundError, RuntimeError) as exc:
        raise _fail_input(str(exc)) from None
    report = build_report(run_.results, run_.meta)
    _finish(
        report,
        as_json=as_json,
        output=output,
        html=html,
        baseline=base,
        thresholds=limits,
        brief=brief,
    )


@eval_app.command("calibrate")
def calibrate_cmd(
    suites: SuitesArg,
    kb: Annotated[
        Path | None,
        typer.Option(help="Directory of articles (default: the suite's kb, else the store)."),
    ] = None,
    intents: Annotated[
        Path | None, typer.Option(help="Intents YAML to use instead of prompts/intents.yaml.")
    ] = None,
    low: Annotated[float, typer.Option(min=0.0, max=1.0, help="Lowest threshold tried.")] = 0.26,
    high: Annotated[float, typer.Option(min=0.0, max=1.0, help="Highest threshold tried.")] = 0.46,
    step: Annotated[float, typer.Option(min=0.005, max=0.5, help="Step between tries.")] = 0.02,
    apply: Annotated[
        Path | None,
        typer.Option(
            help="Write the best threshold into this policy file (e.g. prompts/policy.yaml)."
        ),
    ] = None,
    objective: Annotated[
        str,
        typer.Option(
            help="What 'best' means: pass_rate (cases fully right), outcome_accuracy, or "
            "balanced (mean of answered-when-answerable and declined-when-out-of-scope)."
        ),
    ] = "pass_rate",
    cache_dir: Annotated[
        Path | None,
        typer.Option(help="Where built knowledge bases are kept (default: DATA_DIR/eval-cache)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Find the answer threshold (answer vs. admit-and-escalate) that scores best on a suite."""
    from rich.table import Table

    from app.config import get_settings
    from evals.calibrate import OBJECTIVES, apply_threshold, best_row, calibrate, default_grid
    from evals.runner import RunConfig

    if high < low:
        raise _fail_input("--high must not be below --low")
    if objective not in OBJECTIVES:
        raise _fail_input(f"--objective must be one of {', '.join(OBJECTIVES)}")
    suite = _load(suites)
    for path, what in ((kb, "--kb"), (intents, "--intents"), (apply, "--apply")):
        if path is not None and not path.exists():
            raise _fail_input(f"{what} {path}: no such file or directory")
    grid = default_grid(low, high, step)
    config = RunConfig(
        kb=kb, intents=intents, cache_dir=cache_dir or get_settings().data_dir / "eval-cache"
    )
    bar = Progress(
        TextColumn("[bold]calibrate[/bold] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    task = bar.add_task("preparing", total=len(grid))
    seen = 0

    def next_threshold(value: float) -> None:
        nonlocal seen
        if seen:
            bar.advance(task)
        seen += 1
        bar.update(task, description=f"threshold {value:.2f}")

    try:
        with bar:
            rows = asyncio.run(calibrate(suite, config, grid, on_threshold=next_threshold))
    except (SuiteError, FileNotFoundError, RuntimeError) as exc:
        raise _fail_input(str(exc)) from None
    best = best_row(rows, objective)
    if as_json:
        out.print_json(json.dumps({"best": best.as_dict(), "rows": [r.as_dict() for r in rows]}))
    else:
        table = Table(title=f"{suite.name}: answer threshold sweep")
        for col in ("threshold", "outcome acc", "passed", "answered", "OOS prec", "OOS rec",
                    "conversations"):  # fmt: skip
            table.add_column(col, justify="right")
        for r in rows:
            mark = " ◀ best" if r is best else ""
            table.add_row(
                f"{r.threshold:.2f}{mark}",
                *(f"{v:.1%}" for v in (r.outcome_accuracy, r.pass_rate, r.answered,
                                       r.oos_precision, r.oos_recall, r.conversations)),
            )  # fmt: skip
        out.print(table)
        out.print(
            f"Best: {best.threshold:.2f} by {objective} ({OBJECTIVES[objective](best):.1%}); "
            "ties go to the higher threshold: a confident wrong answer costs more than an "
            "escalation."
        )
    if apply is not None:
        try:
            apply_threshold(apply, best.threshold)
        except ValueError as exc:
            raise _fail_input(str(exc)) from None
        err.print(f"Wrote answer_threshold: {best.threshold:g} to {apply}")


@eval_app.command("validate")
def validate(suites: SuitesArg) -> None:
    """Check suite files without running them (exit 2 naming the file and line of a problem)."""
    suite = _load(suites)
    out.print(
        f"{suite.name}: {len(suite.cases)} single-turn cases and {len(suite.conversations)} "
        f"conversations in {len(suite.files)} files are valid"
        + (f"; knowledge base {suite.kb}" if suite.kb else ""),
        highlight=False,
    )


@eval_app.command("compare")
def compare(
    report_file: Annotated[Path, typer.Argument(help="A JSON report of the run to judge.")],
    baseline: BaselineOpt = None,
    thresholds: ThresholdsOpt = None,
    as_json: JsonOpt = False,
    html: HtmlOpt = None,
    brief: Annotated[
        bool, typer.Option("--brief", help="Print only the summary and the gate.")
    ] = False,
) -> None:
    """Gate a saved JSON report against a baseline and/or thresholds without re-running."""
    base, limits = _load_gates(baseline, thresholds)
    try:
        current = load_baseline(report_file)
    except GateError as exc:
        raise _fail_input(str(exc)) from None
    report = {
        "schema": 1,
        "meta": current.meta,
        "metrics": current.metrics,
        "cases": current.cases,
        "gate": {},
    }
    _finish(
        report,
        as_json=as_json,
        output=None,
        html=html,
        baseline=base,
        thresholds=limits,
        brief=brief,
    )
