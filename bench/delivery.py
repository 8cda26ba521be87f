"""Agent→visitor delivery latency: agent POSTs in one process, visitor streams in this one."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.client import SSEStream, open_stream, stream_request
from bench.server import ROOT, Fixture, Server, process_cpu_seconds
from bench.stats import percentile

Progress = Callable[[int, int, str], None]


@dataclass
class Run:
    """One load pattern's figures."""

    label: str
    mode: str  # open | closed
    target_rate: float | None
    concurrency: int | None
    scheduled: int
    accepted: int  # 201 responses
    errors: dict[str, int]  # other statuses / client errors
    unfinished: int  # still pending when the sender's drain timeout hit
    offered_rate: float  # sends started per second
    achieved_rate: float  # accepted sends per second, first start to last response
    delivered: int
    lost: int  # accepted (201) but never seen on the visitor's stream
    duplicates: int
    # Delivery: arrival on the visitor stream − when the send was due; None: some never came.
    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    post_p50_ms: float  # the agent's POST round trip once on a connection
    post_p99_ms: float
    server_cpu_pct: float  # of one core, while the sender ran
    sender_cpu_pct: float
    reader_cpu_pct: float
    reader_lag_max_ms: float  # event-loop lag in the stream reader (client saturation)
    schedule_lag_max_ms: float  # how late the open-loop sender started a send, at worst
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DeliveryResult:
    backend: str
    streams: int
    pool: int
    runs: list[Run] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ms(seconds: float) -> float | None:
    """Milliseconds, or None for "never" (JSON has no infinity)."""
    return None if math.isinf(seconds) else round(seconds * 1000, 1)


class _Reader:
    """Collects when each bench message arrives on any visitor stream."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.duplicates = 0
        self.lag_max = 0.0

    def on_event(self, event: str, data: str, now: float) -> None:
        if event != "message.created" or '"bench ' not in data:
            return
        try:
            text = json.loads(data)["text"]
        except (ValueError, KeyError, TypeError):
            return
        if text in self.arrivals:
            self.duplicates += 1
        else:
            self.arrivals[text] = now

    async def watch_lag(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            t = loop.time()
            await asyncio.sleep(0.01)
            self.lag_max = max(self.lag_max, loop.time() - t - 0.01)


async def _sender(
    cfg: dict[str, Any],
    progress: Callable[[int, int], None],
    on_done: Callable[[], None],
    limit_s: float,
) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.sender",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
        start_new_session=True,
        limit=1 << 26,
    )
    try:
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        proc.stdin.write(json.dumps(cfg).encode())
        await proc.stdin.drain()
        proc.stdin.close()
        result: dict[str, Any] | None = None
        async with asyncio.timeout(limit_s):
            while line := await proc.stdout.readline():
                if line.startswith(b"P "):
                    a, b = line.split()[1:3]
                    progress(int(a), int(b))
                elif line.startswith(b"R "):
                    on_done()  # before parsing: the client's own work after the run
                    result = json.loads(line[2:])
            err = await proc.stderr.read()
            await proc.wait()
        if result is None:
            raise RuntimeError(f"sender failed ({proc.returncode}): {err.decode()[-2000:]}")
        return result
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            with contextlib.suppress(Exception):
                await proc.wait()


async def _one_run(
    fx: Fixture,
    server: Server,
    reader: _Reader,
    cfg: dict[str, Any],
    label: str,
    progress: Progress,
    limit_s: float,
) -> Run:
    from bench.sender import text_of

    reader.lag_max = 0.0
    dups0 = reader.duplicates
    if cfg["mode"] == "open":
        expected = int(cfg["rate"] * cfg["duration"])
    else:  # a closed loop capped by time has no known total
        expected = cfg["count"] if cfg["count"] <= 100_000 else 0
    tag = cfg["tag"]

    first = True

    def on_progress(started: int, finished: int) -> None:
        nonlocal first
        if first:
            # Spawning the sender (fork + imports) stalls this loop; the run starts now.
            reader.lag_max = 0.0
            first = False
        progress(finished, expected, f"{label}: {started} sent, {finished} answered")

    cpu_s0, cpu_r0, t0 = server.cpu_seconds(), process_cpu_seconds(), time.monotonic()
    lag = 0.0

    def on_done() -> None:
        nonlocal lag
        lag = reader.lag_max

    out = await _sender(cfg, on_progress, on_done, limit_s)
    server.check_alive(label)
    wall = time.monotonic() - t0
    cpu_s = server.cpu_seconds() - cpu_s0
    rows = out["rows"]
    ok = [r for r in rows if r[5] == 201]
    errors = Counter(str(r[5]) for r in rows if r[5] != 201)
    # Give the last accepted messages a moment to arrive; anything later counts as lost.
    grace_end = time.monotonic() + 5.0
    while time.monotonic() < grace_end:
        if all(text_of(tag, r[0]) in reader.arrivals for r in ok):
            break
        await asyncio.sleep(0.05)
    cpu_r = process_cpu_seconds() - cpu_r0
    # From when the send was due (open loop: includes waiting for a free connection, so a
    # server that falls behind shows up here instead of slowing the offered load down).
    lat = [
        reader.arrivals[text_of(tag, r[0])] - r[2]
        for r in ok
        if text_of(tag, r[0]) in reader.arrivals
    ]
    # Sends never delivered (errors, lost, or still queued when the drain ended) count as
    # infinitely late, so percentiles cannot look better by leaving the worst out.
    scheduled = out["scheduled"] if cfg["mode"] == "open" else len(rows)
    lat_all = lat + [math.inf] * max(0, scheduled - len(lat))
    post = [r[4] - r[3] for r in ok]
    starts = [r[2] for r in rows]
    span_start = min(starts) if starts else 0.0
    span_ok = (max(r[4] for r in ok) - span_start) if ok else 0.0
    span_sent = (max(starts) - span_start) if len(starts) > 1 else 0.0
    sender_wall = out["sender_wall_s"] or wall
    return Run(
        label=label,
        mode=cfg["mode"],
        target_rate=cfg.get("rate"),
        concurrency=cfg.get("concurrency"),
        scheduled=scheduled,
        accepted=len(ok),
        errors=dict(errors),
        unfinished=out["unfinished"],
        offered_rate=round((len(starts) - 1) / span_sent, 1) if span_sent else 0.0,
        achieved_rate=round(len(ok) / span_ok, 1) if span_ok else 0.0,
        delivered=len(lat),
        lost=len(ok) - len(lat),
        duplicates=reader.duplicates - dups0,
        p50_ms=_ms(percentile(lat_all, 50)),
        p99_ms=_ms(percentile(lat_all, 99)),
        max_ms=_ms(max(lat_all)) if lat_all else 0.0,
        post_p50_ms=round(percentile(post, 50) * 1000, 1),
        post_p99_ms=round(percentile(post, 99) * 1000, 1),
        server_cpu_pct=round(100 * cpu_s / wall, 1),
        sender_cpu_pct=round(100 * out["sender_cpu_s"] / sender_wall, 1),
        reader_cpu_pct=round(100 * cpu_r / (time.monotonic() - t0), 1),
        reader_lag_max_ms=round(lag * 1000, 1),
        schedule_lag_max_ms=out["schedule_lag_max_ms"],
        seconds=round(time.monotonic() - t0, 1),
    )


async def run_delivery(
    fx: Fixture,
    server: Server,
    backend: str,
    rates: list[float],
    *,
    duration: float,
    n_streams: int,
    pool: int,
    calibrate: tuple[int, ...] = (1, 4, 32),
    half_capacity: bool = True,
    progress: Progress,
) -> DeliveryResult:
    """Open ``n_streams`` visitor streams, then send agent replies at each rate."""
    from app.security import agent_token, visitor_token

    visitors = fx.visitors[:n_streams]
    reader = _Reader()
    streams: list[SSEStream] = []
    result = DeliveryResult(backend=backend, streams=0, pool=pool)
    lag_task = asyncio.create_task(reader.watch_lag())
    try:
        for k, (sid, _) in enumerate(visitors):
            req = stream_request(fx.port, visitor_token(sid, fx.site_id), fx.origin)
            s, _ = await open_stream(fx.port, req, reader.on_event)
            if s.status != 200:
                s.close()
                raise RuntimeError(f"visitor stream answered {s.status}:\n{server.log_tail()}")
            streams.append(s)
            progress(k + 1, len(visitors), f"{backend}: opening {len(visitors)} visitor streams")
        result.streams = len(streams)
        conv_ids = [cid for _, cid in visitors]
        base: dict[str, Any] = {
            "base_url": fx.origin,
            "token": agent_token(fx.admin_id),
            "conversation_ids": conv_ids,
            "pool": pool,
            "timeout": 30.0,
            "drain": 60.0,
        }

        def closed(conc: int, count: int, seconds: float) -> dict[str, Any]:
            return {"mode": "closed", "concurrency": conc, "count": count, "duration": seconds}

        def opened(rate: float) -> dict[str, Any]:
            return {"mode": "open", "rate": rate, "duration": duration}

        n_run = 0

        async def run(label: str, extra: dict[str, Any], keep: bool = True) -> Run:
            nonlocal n_run
            n_run += 1
            cfg = base | extra | {"tag": f"{backend}-{n_run}"}
            limit = float(cfg["duration"]) + float(cfg["drain"]) + 60
            r = await _one_run(fx, server, reader, cfg, f"{backend}: {label}", progress, limit)
            r.label = label
            if keep:
                result.runs.append(r)
            # Let the server drain (and the reader catch up) before the next pattern.
            await asyncio.sleep(2.0)
            return r

        # Warm-up (code paths, DB connections, the sender's pool) is not reported.
        await run("warm-up", closed(8, 200, 20), keep=False)
        capacity = 0.0
        for conc in calibrate:
            # Closed loops: the service time with one request in flight, then what more
            # concurrency buys; the best of them is this server's capacity.
            cfg = closed(conc, 300, 15) if conc == 1 else closed(conc, 10**6, 5)
            r = await run(f"closed, {conc} in flight", cfg)
            capacity = max(capacity, r.achieved_rate)
        if capacity and half_capacity:
            # Below saturation, so the latency is the server's, not a queue's.
            rate = max(1.0, round(capacity / 2))
            await run(f"open {rate:g}/s (½ capacity)", opened(rate))
        for rate in rates:
            await run(f"open {rate:g}/s", opened(rate))
        open_now = sum(1 for s in streams if s.open)
        if open_now != len(streams):
            result.streams = open_now
    finally:
        lag_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await lag_task
        for s in streams:
            s.close()
        # Let the server see the disconnects before it is stopped: a stream still open at
        # shutdown logs an ERROR line ("ASGI callable returned without completing response").
        await asyncio.sleep(1.0)
    return result
