"""`python -m bench` (`make bench`): SSE streams and delivery figures against DESIGN.md §3.

Prints figures next to the budgets; never fails on a missed budget (exit 0). Everything
runs on 127.0.0.1, is bounded in count and time, and the server child and the temporary
data directory are removed on every exit path, Ctrl-C included.
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

from bench.delivery import DeliveryResult, run_delivery
from bench.report import delivery_table, notes_for, streams_table
from bench.server import Fixture, Server, free_port, prepare, raise_nofile
from bench.streams import StreamsResult, run_streams

REDIS_URL = "redis://127.0.0.1:6379/0"


def _ints(text: str) -> list[int]:
    return [int(x.replace("_", "")) for x in text.split(",") if x.strip()]


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smoke run: 1k streams, 100 msg/s only")
    p.add_argument("--streams", type=_ints, default=[1000, 5000, 10000], help="stream levels")
    p.add_argument("--rates", type=_floats, default=[100, 1000], help="agent messages per second")
    p.add_argument("--duration", type=float, default=8.0, help="seconds of sending per rate")
    p.add_argument(
        "--delivery-streams", type=int, default=200, help="visitor streams to deliver to"
    )
    p.add_argument("--pool", type=int, default=64, help="HTTP connections of the agent sender")
    p.add_argument("--ramp-rate", type=float, default=500.0, help="new streams per second")
    p.add_argument("--max-inflight", type=int, default=100, help="stream handshakes at once")
    p.add_argument("--hold", type=float, default=None, help="seconds to hold the top level idle")
    p.add_argument(
        "--redis", action="store_true", help=f"also run with PARLEY_REDIS_URL={REDIS_URL}"
    )
    p.add_argument("--only", choices=["streams", "delivery"], help="run one benchmark only")
    p.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON")
    p.add_argument("--keep-data", action="store_true", help="keep the temporary data dir and logs")
    args = p.parse_args(argv)
    if args.quick:
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
            if args.only in (None, "streams"):
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
            if args.only in (None, "delivery"):
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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console()
    if not console.is_terminal:  # piped (make bench | tee): keep the tables readable
        console = Console(width=200)
    signal.signal(signal.SIGTERM, _on_sigterm)
    soft, hard = raise_nofile()
    top = max(args.streams) if args.only != "delivery" else 0
    need = max(top, args.delivery_streams) + 200
    if soft < need:
        # One client process cannot hold them all: cap rather than fail half-way.
        capped = [n for n in args.streams if n + 200 <= soft] or [max(100, soft - 200)]
        console.print(
            f"[yellow]RLIMIT_NOFILE is {soft}; this client can hold about {soft - 200} streams. "
            f"Levels capped to {capped}.[/yellow]"
        )
        args.streams = capped
    cores = os.cpu_count() or 1
    code_state = _git_state()
    console.rule("[bold]Parley benchmarks[/bold] (DESIGN.md §3)")
    console.print(
        f"{cores} CPU cores; the load generator (this process and the agent sender) runs on the "
        f"same machine and competes with the server for them, so figures are pessimistic. "
        f"RLIMIT_NOFILE {soft}/{hard}. Server: one `parley serve` process (uvicorn), SQLite, "
        f"bot off, rate limits off, default access log on. Code: {code_state}."
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
        "streams": [],
        "delivery": [],
        "server_logs": [],
        "notes": [],
    }
    tmp = Path(tempfile.mkdtemp(prefix="parley-bench-"))
    servers: list[Server] = []
    code = 0
    try:
        console.print(f"[dim]Preparing {tmp} (migrate, seed, bulk insert)…[/dim]")
        t0 = time.monotonic()
        fx = prepare(tmp, free_port(), max(max(args.streams), args.delivery_streams))
        console.print(
            f"[dim]{len(fx.visitors)} visitor sessions + conversations in "
            f"{time.monotonic() - t0:.1f} s; server on {fx.origin}[/dim]"
        )
        try:
            import uvloop

            uvloop.run(_bench(args, fx, servers, console, out))
        except ImportError:
            asyncio.run(_bench(args, fx, servers, console, out))
    except KeyboardInterrupt:
        console.print("[yellow]Interrupted: stopping the server and cleaning up.[/yellow]")
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
    notes = out["notes"] + notes_for(out)
    load = os.getloadavg()
    out["machine"]["loadavg_end"] = [round(x, 2) for x in load]
    if max(out["machine"]["loadavg_start"][0], load[0]) > cores:
        notes.append(
            f"[yellow]The machine was busy with other work (1-min load average "
            f"{out['machine']['loadavg_start'][0]:.1f} at start, {load[0]:.1f} at end, on "
            f"{cores} cores): figures are lower and noisier than on an idle machine.[/yellow]"
        )
    out["notes"] = notes
    for note in notes:
        console.print(f"• {note}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2, default=str))
        console.print(f"[dim]Figures written to {args.json}[/dim]")
    return code


if __name__ == "__main__":
    sys.exit(main())
