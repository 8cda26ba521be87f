"""`python -m bench` (`make bench`): every DESIGN.md §3 figure, next to its budget.

Sections (all by default; `--only kb,bot` picks some): the knowledge base (embedding,
ingestion, retrieval at 1k/10k/100k chunks, memory), bot turn latency through a running
server, idle SSE streams held by one process, agent→visitor delivery. Prints figures next
to the budgets and never fails on a missed budget (exit 0); the figures also go to
bench/results/<timestamp>.json. Everything runs on 127.0.0.1, is bounded in count and
time, and server children and temporary data directories are removed on every exit path,
Ctrl-C included. Synthetic corpora are cached under data/bench, so re-runs are faster.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bench import bot as bot_bench
from bench import corpus
from bench import kb as kb_bench
from bench.delivery import DeliveryResult, run_delivery
from bench.report import (
    budget_summary,
    delivery_table,
    notes_for,
    streams_table,
    summary_table,
    widget_sizes,
)
from bench.server import ROOT, Fixture, Server, free_port, prepare, prepare_bot, raise_nofile
from bench.streams import StreamsResult, run_streams

REDIS_URL = "redis://127.0.0.1:6379/0"
SECTIONS = ("kb", "bot", "streams", "delivery")
RESULTS_DIR = ROOT / "bench" / "results"


def _ints(text: str) -> list[int]:
    return [int(x.replace("_", "")) for x in text.split(",") if x.strip()]


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def _sections(text: str) -> list[str]:
    names = [x.strip() for x in text.split(",") if x.strip()]
    bad = [n for n in names if n not in SECTIONS]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"sections are {', '.join(SECTIONS)}; got {text!r}")
    return names


def _range(text: str) -> tuple[float, float]:
    lo, _, hi = text.partition("-")
    return (float(lo), float(hi or lo))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: KB up to 10k chunks, fewer bot turns, 1k streams, 100 msg/s only",
    )
    p.add_argument(
        "--only",
        type=_sections,
        default=list(SECTIONS),
        help=f"comma-separated: {','.join(SECTIONS)}",
    )
    g = p.add_argument_group("knowledge base")
    g.add_argument(
        "--kb-sizes", type=_ints, default=[1000, 10_000, 100_000], help="retrieval corpus sizes"
    )
    g.add_argument("--kb-queries", type=int, default=300, help="timed queries per measurement")
    g.add_argument("--ingest-copies", type=int, default=2, help="copies of the demo KB to ingest")
    g.add_argument("--ingest-articles", type=int, help="demo articles per copy (default: all)")
    g.add_argument(
        "--kb-model-chunks", type=int, default=96, help="chunks per size for the model's chunks/s"
    )
    g.add_argument(
        "--distinct", type=int, default=corpus.DISTINCT, help="distinct synthetic chunks embedded"
    )
    g = p.add_argument_group("bot turn")
    g.add_argument("--bot-kb-size", type=int, default=10_000, help="chunks in the bot's KB")
    g.add_argument("--bot-levels", type=_ints, default=[1, 20], help="concurrent conversations")
    g.add_argument("--bot-turns", type=int, default=120, help="measured turns per run")
    g.add_argument(
        "--bot-think", type=_range, default=(1.0, 4.0),
        help="think time range (s) of the paced runs, e.g. 1-4; 0 skips them",
    )  # fmt: skip
    g.add_argument("--bot-workers", type=int, help="PARLEY_BOT_WORKERS (default: the app's)")
    g.add_argument(
        "--bot-breakdown", type=int, default=40,
        help="turns of run_turn timed in-process after the server runs (0: skip)",
    )  # fmt: skip
    g = p.add_argument_group("streams and delivery")
    g.add_argument("--streams", type=_ints, default=[1000, 5000, 10000], help="stream levels")
    g.add_argument("--rates", type=_floats, default=[100, 1000], help="agent messages per second")
    g.add_argument("--duration", type=float, default=8.0, help="seconds of sending per rate")
    g.add_argument(
        "--delivery-streams", type=int, default=200, help="visitor streams to deliver to"
    )
    g.add_argument("--pool", type=int, default=64, help="HTTP connections of the agent sender")
    g.add_argument("--ramp-rate", type=float, default=500.0, help="new streams per second")
    g.add_argument("--max-inflight", type=int, default=100, help="stream handshakes at once")
    g.add_argument("--hold", type=float, default=None, help="seconds to hold the top level idle")
    g.add_argument(
        "--redis", action="store_true", help=f"also run with PARLEY_REDIS_URL={REDIS_URL}"
    )
    p.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    p.add_argument(
        "--results-dir", type=Path, default=RESULTS_DIR, help="where <timestamp>.json goes"
    )
    p.add_argument("--keep-data", action="store_true", help="keep the temporary data dir and logs")
    args = p.parse_args(argv)
    if args.quick:
        args.kb_sizes = [s for s in args.kb_sizes if s <= 10_000] or [1000]
        args.kb_queries = min(args.kb_queries, 100)
        args.ingest_copies = 1
        args.bot_turns = min(args.bot_turns, 40)
        args.bot_think = (0.0, 0.0)
        args.bot_breakdown = min(args.bot_breakdown, 10)
        args.streams = [1000]
        args.rates = [100]
        args.duration = min(args.duration, 5.0)
    if args.hold is None:
        args.hold = 17.0  # one 15 s heartbeat round, and a little
    return args


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _git_state() -> str:
    """The commit under test, and whether the tree had local changes (figures depend on it)."""
    try:
        root = Path(__file__).resolve().parent.parent
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
        ).stdout.strip()
        return f"{head}{' + local changes' if dirty else ''}" if head else "unknown"
    except OSError:
        return "unknown"


def _on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


async def _bench(
    args: argparse.Namespace,
    fx: Fixture,
    servers: list[Server],
    console: Console,
    out: dict[str, Any],
) -> None:
    # Everything imported and prepared so far lives to the end: keep the collector off it,
    # so a full collection cannot stall the stream reader in the middle of a measurement.
    gc.collect()
    gc.freeze()
    backends = [("in-process", "")]
    if args.redis:
        if _redis_up():
            backends.append(("redis", REDIS_URL))
        else:
            out["notes"].append(f"--redis asked, but nothing answers PING at {REDIS_URL}: skipped.")

    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("starting", total=None)

        def report(done: int, total: int, label: str) -> None:
            progress.update(task, completed=done, total=total or None, description=label)

        for name, redis_url in backends:
            if "streams" in args.only:
                srv = Server(fx, redis_url=redis_url, log_name=f"server-{name}-streams.log")
                servers.append(srv)
                report(0, 0, f"{name}: starting the server")
                try:
                    srv.start()
                    res: StreamsResult = await run_streams(
                        fx,
                        srv,
                        name,
                        args.streams,
                        ramp_rate=args.ramp_rate,
                        max_inflight=args.max_inflight,
                        settle=2.0,
                        hold=args.hold,
                        progress=report,
                    )
                    out["streams"].append(res.as_dict())
                    console.print(f"[dim]{name}: streams done in {res.seconds:.0f} s[/dim]")
                except Exception as exc:  # report and go on with the other benchmarks
                    out["notes"].append(f"[red]{name} streams failed:[/red] {exc}")
                finally:
                    srv.stop()
                    out["server_logs"].append(_log_summary(srv, f"{name} streams"))
            if "delivery" in args.only:
                srv = Server(fx, redis_url=redis_url, log_name=f"server-{name}-delivery.log")
                servers.append(srv)
                report(0, 0, f"{name}: starting the server")
                t0 = time.monotonic()
                try:
                    srv.start()
                    dres: DeliveryResult = await run_delivery(
                        fx,
                        srv,
                        name,
                        args.rates,
                        duration=args.duration,
                        n_streams=args.delivery_streams,
                        pool=args.pool,
                        calibrate=(1, 32) if args.quick else (1, 4, 32),
                        progress=report,
                    )
                    out["delivery"].append(dres.as_dict())
                    console.print(
                        f"[dim]{name}: delivery done in {time.monotonic() - t0:.0f} s[/dim]"
                    )
                except Exception as exc:
                    out["notes"].append(f"[red]{name} delivery failed:[/red] {exc}")
                finally:
                    srv.stop()
                    out["server_logs"].append(_log_summary(srv, f"{name} delivery"))


def _log_summary(srv: Server, label: str) -> dict[str, Any]:
    errors, first = srv.log_grep(
        "Traceback", "ERROR", " 500 ", "database is locked", "Task was destroyed"
    )
    return {"run": label, "error_lines": errors, "first": first}


class _Lines:
    """Progress of a long step as a dim line every few seconds (safe next to child output)."""

    def __init__(self, console: Console, every: float = 3.0) -> None:
        self.console = console
        self.every = every
        self.last: dict[str, float] = {}

    def __call__(self, done: int, total: int, label: str) -> None:
        now = time.monotonic()
        if now - self.last.get(label, 0.0) >= self.every or (total and done >= total):
            self.last[label] = now
            count = f"{done:,}/{total:,}" if total else "…"
            self.console.print(f"[dim]  {label}: {count}[/dim]")


def _run_async(coro: Any) -> Any:
    try:
        import uvloop

        return uvloop.run(coro)
    except ImportError:
        return asyncio.run(coro)


def _kb_section(args: argparse.Namespace, console: Console, out: dict[str, Any]) -> None:
    console.rule("Knowledge base")
    fig = kb_bench.run(
        sizes=args.kb_sizes,
        queries=args.kb_queries,
        copies=args.ingest_copies,
        per_copy=args.ingest_articles,
        chunks=args.kb_model_chunks,
        n_distinct=args.distinct,
        console=console,
        progress=_Lines(console),
    )
    out["kb"] = fig
    console.print(kb_bench.table(fig))
    console.print(
        f"[dim]Retrieval corpora ({', '.join(f'{s:,}' for s in args.kb_sizes)} chunks): "
        f"{fig['corpus']}; cached under {corpus.cache_root()}. Ingestion: copies of the demo "
        "KB through KnowledgeStore.upsert_articles into a fresh Chroma directory. Retrieval "
        "queries: distinct visitor questions from evals/demo (no embedding-cache hits).[/dim]"
    )


def _bot_section(
    args: argparse.Namespace,
    console: Console,
    tmp: Path,
    servers: list[Server],
    out: dict[str, Any],
) -> None:
    from app.config import Settings
    from knowledge.embeddings import get_embedder

    console.rule("Bot turn")
    kb_dir, counts = corpus.bot_kb(
        get_embedder(), args.bot_kb_size, n_distinct=args.distinct, progress=_Lines(console)
    )
    levels = sorted(set(args.bot_levels))
    runs = len(levels) + sum(1 for n in levels if n > 1 and args.bot_think[1] > 0)
    data = tmp / "bot"
    data.mkdir(parents=True, exist_ok=True)
    console.print(f"[dim]bot: preparing {data} (copy the KB, `parley seed`)…[/dim]")
    # Enough sessions for a new conversation after every turn, in the worst case.
    fx = prepare_bot(data, free_port(), (args.bot_turns + max(levels)) * runs + 50, kb_dir)
    extra = {"PARLEY_BOT_WORKERS": str(args.bot_workers)} if args.bot_workers else {}
    srv = Server(fx, bot=True, extra_env=extra, log_name="server-bot.log")
    servers.append(srv)
    console.print("[dim]bot: starting the server (loads the model, intents and graph)…[/dim]")
    srv.start(timeout=180)
    try:
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("bot", total=None)

            def report(done: int, total: int, label: str) -> None:
                progress.update(task, completed=done, total=total or None, description=label)

            results = _run_async(
                bot_bench.run_bot(
                    fx,
                    srv,
                    levels=levels,
                    turns=args.bot_turns,
                    think=args.bot_think,
                    progress=report,
                )
            )
    finally:
        srv.stop()
        out["server_logs"].append(_log_summary(srv, "bot"))
    workers = args.bot_workers or Settings.model_fields["bot_workers"].default
    out["bot"] = {
        "kb": {"chunks": counts["real"] + counts["filler"], **counts},
        "bot_workers": workers,
        "corpus": corpus.describe(args.distinct),
        "runs": [r.as_dict() for r in results],
    }
    out["bot"]["notes"] = bot_bench.notes(out["bot"])
    console.print(bot_bench.table(out["bot"]))
    if args.bot_breakdown:
        console.print(
            f"[dim]bot: the same turn in this process, without the app (server stopped), "
            f"{args.bot_breakdown} turns…[/dim]"
        )
        work = tmp / "bot-graph"
        work.mkdir(parents=True, exist_ok=True)
        b = _run_async(bot_bench.graph_breakdown(kb_dir, work, turns=args.bot_breakdown))
        out["bot"]["graph_alone"] = b
        t = Table(
            title="Where a bot turn's time goes: graphs.support.runtime.run_turn in-process "
            "(same KB and checkpointer kind, one conversation at a time), and its main parts "
            "timed alone on fresh questions",
            title_justify="left",
        )
        for col, right in (("ms", False), ("p50", True), ("p99", True)):
            t.add_column(col, justify="right" if right else "left")
        for row in bot_bench.breakdown_rows(b):
            t.add_row(*row)
        console.print(t)
    console.print(
        "[dim]Measured through the real path: a `parley serve` child (SQLite, in-process bus, "
        "Chroma in its data dir, LangGraph SQLite checkpointer, no LLM); visitors POST "
        "/api/v1/widget/messages and read their SSE stream in this process. Filler chunks: "
        f"{out['bot']['corpus']}. 'right article': answers citing the article the eval suite "
        "expects (the filler must not take real questions away from real articles).[/dim]"
    )


def _streams_and_delivery(
    args: argparse.Namespace,
    console: Console,
    tmp: Path,
    servers: list[Server],
    out: dict[str, Any],
) -> None:
    console.rule("SSE streams and delivery")
    console.print(
        "[dim]Server: one `parley serve` process (uvicorn), SQLite, bot off, rate limits off, "
        "default access log on.[/dim]"
    )
    data = tmp / "streams"
    console.print(f"[dim]Preparing {data} (migrate, seed, bulk insert)…[/dim]")
    t0 = time.monotonic()
    fx = prepare(data, free_port(), max(max(args.streams), args.delivery_streams))
    console.print(
        f"[dim]{len(fx.visitors)} visitor sessions + conversations in "
        f"{time.monotonic() - t0:.1f} s; server on {fx.origin}[/dim]"
    )
    _run_async(_bench(args, fx, servers, console, out))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console()
    if not console.is_terminal:  # piped (make bench | tee): keep the tables readable
        console = Console(width=200)
    signal.signal(signal.SIGTERM, _on_sigterm)
    soft, hard = raise_nofile()
    if "streams" in args.only or "delivery" in args.only:
        top = max(args.streams) if "streams" in args.only else 0
        need = max(top, args.delivery_streams) + 200
        if soft < need:
            # One client process cannot hold them all: cap rather than fail half-way.
            capped = [n for n in args.streams if n + 200 <= soft] or [max(100, soft - 200)]
            console.print(
                f"[yellow]RLIMIT_NOFILE is {soft}; this client can hold about {soft - 200} "
                f"streams. Levels capped to {capped}.[/yellow]"
            )
            args.streams = capped
    cores = os.cpu_count() or 1
    code_state = _git_state()
    console.rule("[bold]Parley benchmarks[/bold] (DESIGN.md §3)")
    console.print(
        f"Sections: {', '.join(args.only)}. {cores} CPU cores; the load generators run on the "
        f"same machine and compete with the server for them, so figures are pessimistic. "
        f"RLIMIT_NOFILE {soft}/{hard}. Code: {code_state}."
    )
    out: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "code": code_state,
        "machine": {
            "cpus": cores,
            "nofile": [soft, hard],
            "python": sys.version.split()[0],
            "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        },
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "kb": None,
        "bot": None,
        "streams": [],
        "delivery": [],
        "widget": widget_sizes(),
        "server_logs": [],
        "notes": [],
    }
    tmp = Path(tempfile.mkdtemp(prefix="parley-bench-"))
    servers: list[Server] = []
    code = 0
    steps = [
        ("kb", lambda: _kb_section(args, console, out)),
        ("bot", lambda: _bot_section(args, console, tmp, servers, out)),
        ("streams", lambda: _streams_and_delivery(args, console, tmp, servers, out)),
    ]
    try:
        for name, step in steps:
            wanted = name in args.only or (name == "streams" and "delivery" in args.only)
            if not wanted:
                continue
            try:
                step()
            except KeyboardInterrupt:
                raise
            except Exception as exc:  # report and go on with the other sections
                out["notes"].append(f"[red]{name} failed:[/red] {type(exc).__name__}: {exc}")
                console.print_exception(max_frames=5)
    except KeyboardInterrupt:
        console.print("[yellow]Interrupted: stopping the servers and cleaning up.[/yellow]")
        code = 130
    finally:
        for srv in servers:
            srv.stop()
        if args.keep_data:
            console.print(f"[dim]Data and server logs kept in {tmp}[/dim]")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    if out["streams"]:
        console.print(streams_table(out["streams"]))
    if out["delivery"]:
        console.print(delivery_table(out["delivery"]))
    notes = out["notes"] + (out["bot"] or {}).get("notes", []) + notes_for(out)
    load = os.getloadavg()
    out["machine"]["loadavg_end"] = [round(x, 2) for x in load]
    if max(out["machine"]["loadavg_start"][0], load[0]) > cores:
        notes.append(
            f"[yellow]The machine was busy with other work (1-min load average "
            f"{out['machine']['loadavg_start'][0]:.1f} at start, {load[0]:.1f} at end, on "
            f"{cores} cores): figures are lower and noisier than on an idle machine.[/yellow]"
        )
    out["notes"] = notes
    out["summary"] = budget_summary(out)
    console.print(summary_table(out["summary"]))
    for note in notes:
        console.print(f"• {note}")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for path in [args.results_dir / f"{stamp}.json", *([args.json] if args.json else [])]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(out, indent=2, default=str))
        console.print(f"[dim]Figures written to {path}[/dim]")
    return code


if __name__ == "__main__":
    sys.exit(main())
