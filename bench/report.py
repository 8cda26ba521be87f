"""Rich tables of the figures next to the DESIGN.md §3 budgets, and the notes under them."""

from __future__ import annotations

from typing import Any

from rich.table import Table

STREAMS_BUDGET = 10_000  # idle widget SSE streams held by one app process
KB_BUDGET = 50.0  # server memory per idle stream
DELIVERY_RATE = 1000.0  # agent messages per second
P99_BUDGET_MS = 100.0


def _mb(kb: int) -> str:
    return f"{kb / 1024:,.0f}"


def _lat(ms: float | None, digits: int = 1) -> str:
    return "never" if ms is None else f"{ms:,.{digits}f}"


def _verdict(ok: bool, text_ok: str = "meets", text_bad: str = "misses") -> str:
    return f"[green]{text_ok}[/green]" if ok else f"[red]{text_bad}[/red]"


def streams_table(results: list[dict[str, Any]]) -> Table:
    t = Table(
        title="Idle visitor SSE streams, one app process "
        f"(budget: ≥ {STREAMS_BUDGET:,} held at ≤ {KB_BUDGET:g} KB each)",
        title_justify="left",
    )
    for col, kw in [
        ("backend", False),
        ("target", True),
        ("held", True),
        ("failed", False),
        ("opened/s", True),
        ("handshake p50/p99 ms", True),
        ("server RSS MB", True),
        ("KB/stream", True),
        ("server fds", True),
        ("server CPU", True),
        ("vs budget", False),
    ]:
        t.add_column(col, justify="right" if kw else "left")
    for r in results:
        t.add_row(
            r["backend"], "baseline", "0", "", "", "", _mb(r["baseline_rss_kb"]), "",
            str(r["baseline_fds"]), "", "",
        )  # fmt: skip
        for lv in r["levels"]:
            failed = ", ".join(f"{k}×{v}" for k, v in lv["failed"].items()) or "0"
            kb_ok = lv["kb_per_stream"] <= KB_BUDGET
            if lv["target"] >= STREAMS_BUDGET:
                verdict = _verdict(lv["held"] >= STREAMS_BUDGET and kb_ok)
            else:
                verdict = _verdict(kb_ok and lv["held"] == lv["target"], "on track", "over")
            t.add_row(
                "",
                f"{lv['target']:,}",
                f"{lv['held']:,}",
                failed,
                f"{lv['open_rate']:,.0f}",
                f"{lv['handshake_p50_ms']:.0f} / {lv['handshake_p99_ms']:.0f}",
                _mb(lv["rss_kb"]),
                f"{lv['kb_per_stream']:.1f}",
                f"{lv['server_fds']:,}",
                f"{lv['server_cpu_pct']:.0f}%",
                verdict,
            )
        if r["hold_seconds"]:
            t.add_row(
                "",
                f"after {r['hold_seconds']:.0f} s idle",
                f"{r['held_after_hold']:,}",
                "",
                "",
                "",
                _mb(r["rss_after_hold_kb"]),
                f"{(r['rss_after_hold_kb'] - r['baseline_rss_kb']) / max(1, r['held_after_hold']):.1f}",
                "",
                "",
                "",
            )
        t.add_row(
            "", "all closed", "0", "", "", "", _mb(r["rss_after_close_kb"]), "",
            f"{r['fds_after_close']:,}", "", "",
        )  # fmt: skip
    return t


def delivery_table(results: list[dict[str, Any]]) -> Table:
    streams = ", ".join(f"{r['backend']} {r['streams']}" for r in results)
    t = Table(
        title="Agent → visitor delivery "
        f"(budget: p99 ≤ {P99_BUDGET_MS:g} ms at {DELIVERY_RATE:,.0f} msg/s) over visitor "
        f"streams ({streams}); latency ms = arrival on the visitor's stream − when the send "
        "was due; 'never': some never arrived",
        title_justify="left",
    )
    for col, kw in [
        ("backend", False),
        ("load", False),
        ("201/sent", True),
        ("errors", False),
        ("offered/s", True),
        ("achieved/s", True),
        ("p50", True),
        ("p99", True),
        ("max", True),
        ("lost", True),
        ("POST p50/p99 ms", True),
        ("CPU % srv/snd/rdr", True),
        ("vs budget", False),
    ]:
        t.add_column(col, justify="right" if kw else "left")
    for r in results:
        first = True
        for run in r["runs"]:
            errors = dict(run["errors"])
            if run["unfinished"]:
                errors["unfinished"] = run["unfinished"]
            err = ", ".join(f"{k}×{v}" for k, v in errors.items()) or "0"
            verdict = ""
            if run["mode"] == "open":
                rate = run["target_rate"]
                ok = (
                    run["achieved_rate"] >= 0.95 * rate
                    and run["p99_ms"] is not None
                    and run["p99_ms"] <= P99_BUDGET_MS
                    and run["lost"] == 0
                    and not errors
                )
                big = rate >= DELIVERY_RATE
                verdict = _verdict(ok) if big else _verdict(ok, "within", "over")
            t.add_row(
                r["backend"] if first else "",
                run["label"],
                f"{run['accepted']:,}/{run['scheduled']:,}",
                err,
                f"{run['offered_rate']:,.0f}",
                f"{run['achieved_rate']:,.0f}",
                _lat(run["p50_ms"]),
                _lat(run["p99_ms"]),
                _lat(run["max_ms"], 0),
                f"{run['lost']:,}",
                f"{run['post_p50_ms']:,.1f} / {run['post_p99_ms']:,.1f}",
                f"{run['server_cpu_pct']:.0f}/{run['sender_cpu_pct']:.0f}/"
                f"{run['reader_cpu_pct']:.0f}",
                verdict,
            )
            first = False
    return t


def notes_for(out: dict[str, Any]) -> list[str]:
    """Plain-language observations the tables cannot show."""
    notes: list[str] = []
    for r in out["streams"]:
        top = r["levels"][-1] if r["levels"] else None
        if top is None:
            continue
        leak = r["fds_after_close"] - r["baseline_fds"]
        notes.append(
            f"{r['backend']} streams: {top['held']:,}/{top['target']:,} held at "
            f"{top['kb_per_stream']:.1f} KB/stream; peak server RSS "
            f"{r['peak_rss_kb'] / 1024:,.0f} MB; after closing all, the server released them in "
            f"{r['teardown_seconds']:.1f} s, RSS "
            f"{r['rss_after_close_kb'] / 1024:,.0f} MB (baseline {r['baseline_rss_kb'] / 1024:,.0f})"
            f" and {r['fds_after_close']} fds (baseline {r['baseline_fds']}"
            + (f", [red]{leak} not released after 60 s[/red]" if leak > 5 else "")
            + ")"
            + (
                f"; each stream got {r['ping_bytes_per_stream']:.0f} heartbeat bytes while held "
                f"idle {r['hold_seconds']:.0f} s"
                if r["hold_seconds"]
                else ""
            )
            + f"; client RSS {top['client_rss_kb'] / 1024:,.0f} MB."
        )
    for r in out["delivery"]:
        closed = [run for run in r["runs"] if run["mode"] == "closed"]
        if closed:
            best = max(closed, key=lambda run: run["achieved_rate"])
            loops = "; ".join(
                f"{run['concurrency']} in flight {run['achieved_rate']:,.0f} msg/s at "
                f"{run['server_cpu_pct']:.0f}% server CPU, POST p50 {run['post_p50_ms']:.0f} ms"
                for run in closed
            )
            notes.append(
                f"{r['backend']} capacity ≈ {best['achieved_rate']:,.0f} agent msg/s for one app "
                f"process here (closed loops: {loops}). More requests in flight add queueing, not "
                "throughput; a server below 100% of a core while requests queue is waiting "
                "(SQLite's single write lock), not computing."
            )
        for run in r["runs"]:
            if (
                run["mode"] == "open"
                and run["target_rate"]
                and (run["achieved_rate"] < 0.95 * run["target_rate"] or run["unfinished"])
            ):
                notes.append(
                    f"{r['backend']} {run['label']}: only {run['achieved_rate']:,.0f} msg/s "
                    f"accepted; sends queued in the sender's pool, so latency includes that wait "
                    f"(open loop: no coordinated omission)."
                )
            if run["reader_lag_max_ms"] > 50 or run["schedule_lag_max_ms"] > 50:
                notes.append(
                    f"{r['backend']} {run['label']}: load generator lag (reader event loop "
                    f"{run['reader_lag_max_ms']:.0f} ms, sender schedule {run['schedule_lag_max_ms']:.0f}"
                    " ms at worst): part of the latency is the client's, not the server's."
                )
    for log in out["server_logs"]:
        if log["error_lines"]:
            notes.append(
                f"server log ({log['run']}): {log['error_lines']} error lines, first: "
                + " | ".join(line.strip()[:160] for line in log["first"][:2])
            )
    return notes
