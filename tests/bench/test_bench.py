"""`python -m bench` runs end to end at a tiny size and reports every figure it promises.

Timings are never asserted (the machine is shared and the bench reports, it does not
judge); only that each section ran, printed its table and wrote the expected keys.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(tmp_path: Path, *args: str) -> tuple[str, dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env["PARLEY_BENCH_CACHE"] = str(tmp_path / "cache")  # not the real cache in data/bench
    out = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", *args, "--results-dir", str(tmp_path / "results"),
         "--json", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert len(list((tmp_path / "results").glob("*.json"))) == 1
    return done.stdout, json.loads(out.read_text())


def test_kb_and_bot_sections_print_their_figures(tmp_path: Path) -> None:
    stdout, fig = _run(
        tmp_path,
        "--only", "kb,bot",
        "--kb-sizes", "300,600",
        "--kb-queries", "5",
        "--kb-model-chunks", "4",
        "--ingest-copies", "1",
        "--ingest-articles", "2",
        "--distinct", "40",
        "--bot-kb-size", "400",
        "--bot-levels", "1,2",
        "--bot-turns", "3",
        "--bot-think", "0.05-0.1",
        "--bot-breakdown", "2",
    )  # fmt: skip
    assert not [n for n in fig["notes"] if "failed" in n], fig["notes"]

    kb = fig["kb"]
    assert {"p50", "p99"} <= kb["query_embedding_ms"].keys()
    assert [i["sentence_vectors"] for i in kb["ingestion"]] == [False, True]
    assert all(i["chunks"] > 0 and i["chunks_per_s"] > 0 for i in kb["ingestion"])
    assert [r["size"] for r in kb["retrieval"]] == [300, 600]
    for r in kb["retrieval"]:
        assert r["chunks"] == r["size"]  # the synthetic corpus holds what was asked
        assert {"p50", "p99"} <= r["search_ms"].keys() and {"p50", "p99"} <= r["index_ms"].keys()
        assert r["rss_mb"] > 0
    assert "synthetic" in kb["corpus"]

    bot = fig["bot"]
    assert bot["kb"]["chunks"] == 400 and bot["kb"]["real"] > 0 and bot["kb"]["filler"] > 0
    labels = [r["label"] for r in bot["runs"]]
    assert labels == [
        "1 conversation, back-to-back",
        "2 conversations, back-to-back",
        "2 conversations, paced (0.05–0.1 s think)",
    ]
    for r in bot["runs"]:
        assert r["turns"] == 3 and r["timeouts"] == 0 and not r["errors"], r
        # Every turn got its answer (or a handoff) on the visitor's stream.
        assert r["first_ms"]["p99"] is not None and r["complete_ms"]["p99"] is not None
    assert bot["graph_alone"]["turns"] == 2
    assert set(bot["graph_alone"]["parts_ms"]) == {"language", "intent", "search", "sentences"}

    # One table per area, each figure next to its budget with a verdict.
    for title in ("Knowledge base:", "Bot turn, embedded default", "Where a bot turn's time goes",
                  "DESIGN.md §3 budgets at a glance"):  # fmt: skip
        assert title in stdout, stdout[-2000:]
    budgets = {row[0] for row in fig["summary"]}
    assert any(b.startswith("Bot turn") for b in budgets)
    assert any(b.startswith("Retrieval") for b in budgets)
    assert any(b.startswith("Knowledge ingestion") for b in budgets)
    verdicts = {row[2] for row in fig["summary"]}
    assert verdicts <= {"OK", "OVER", "UNDER", "not run", "—"}
