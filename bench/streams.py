"""Idle visitor SSE streams held by one app process, and the server memory each one costs."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.client import SSEStream, open_stream, stream_request
from bench.server import Fixture, Server, process_rss_kb
from bench.stats import percentile

Progress = Callable[[int, int, str], None]  # (done, total, label)


@dataclass
class Level:
    """The figures at one plateau of held streams."""

    target: int
    held: int  # got 200 text/event-stream and still open at measurement time
    attempted: int  # connections tried in total so far
    failed: dict[str, int]  # non-200 statuses and client errors, cumulative
    ramp_seconds: float
    open_rate: float  # streams opened per second during this level's ramp
    handshake_p50_ms: float
    handshake_p99_ms: float
    rss_kb: int
    kb_per_stream: float
    server_fds: int
    server_threads: int
    server_cpu_pct: float  # of one core, during the ramp
    client_rss_kb: int


@dataclass
class StreamsResult:
    backend: str
    baseline_rss_kb: int
    baseline_fds: int
    nofile: str
    levels: list[Level] = field(default_factory=list)
    hold_seconds: float = 0.0
    held_after_hold: int = 0
    rss_after_hold_kb: int = 0
    ping_bytes_per_stream: float = 0.0  # heartbeat bytes each stream received while held
    teardown_seconds: float = 0.0  # until the server's fds were back near the baseline
    rss_after_close_kb: int = 0
    fds_after_close: int = 0
    peak_rss_kb: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def _ramp(
    port: int,
    requests: list[bytes],
    out: list[SSEStream],
    failed: Counter[str],
    handshakes: list[float],
    *,
    rate: float,
    max_inflight: int,
    deadline: float,
    progress: Callable[[], None],
) -> int:
    """Open one stream per request at ``rate``/s, at most ``max_inflight`` handshakes at once.

    Stops scheduling at ``deadline`` (monotonic); returns how many were attempted.
    """
    loop = asyncio.get_running_loop()
    sem = asyncio.Semaphore(max_inflight)
    tasks: list[asyncio.Task[None]] = []

    async def one(req: bytes) -> None:
        try:
            proto, dt = await open_stream(port, req, None, timeout=30.0)
            if proto.status == 200 and proto.content_type.startswith(b"text/event-stream"):
                out.append(proto)
                handshakes.append(dt)
            else:
                failed[f"HTTP {proto.status}"] += 1
                proto.close()
        except TimeoutError:
            failed["timeout"] += 1
        except OSError as exc:
            failed[type(exc).__name__ + (f" errno {exc.errno}" if exc.errno else "")] += 1
        finally:
            sem.release()
            progress()

    t0 = loop.time()
    attempted = 0
    for k, req in enumerate(requests):
        delay = t0 + k / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if loop.time() > deadline:
            break
        await sem.acquire()
        tasks.append(asyncio.create_task(one(req)))
        attempted += 1
    if tasks:
        await asyncio.wait(tasks)
    return attempted


async def run_streams(
    fx: Fixture,
    server: Server,
    backend: str,
    levels: list[int],
    *,
    ramp_rate: float,
    max_inflight: int,
    settle: float,
    hold: float,
    progress: Progress,
) -> StreamsResult:
    """Ramp to each level in turn on one server, measuring RSS at every plateau."""
    from app.security import visitor_token

    t_start = time.monotonic()
    port, origin = fx.port, fx.origin
    top = max(levels)
    if top > len(fx.visitors):
        raise ValueError(f"fixture has {len(fx.visitors)} visitors, {top} streams asked")
    requests = [
        stream_request(port, visitor_token(sid, fx.site_id), origin) for sid, _ in fx.visitors[:top]
    ]

    # Warm-up: a few streams open and close, so lazy imports and caches are in the baseline.
    warm: list[SSEStream] = []
    await _ramp(
        port,
        requests[:20],
        warm,
        Counter(),
        [],
        rate=200,
        max_inflight=20,
        deadline=asyncio.get_running_loop().time() + 30,
        progress=lambda: None,
    )
    if len(warm) < 20:
        raise RuntimeError(f"warm-up: only {len(warm)}/20 streams opened:\n{server.log_tail()}")
    for s in warm:
        s.close()
    await asyncio.sleep(2.0)
    baseline = server.rss_kb()
    result = StreamsResult(
        backend=backend,
        baseline_rss_kb=baseline,
        baseline_fds=server.fds(),
        nofile=server.nofile_limit(),
    )

    streams: list[SSEStream] = []
    failed: Counter[str] = Counter()
    attempted = 0
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        progress(done, top, f"{backend}: opening streams")

    try:
        for target in sorted(levels):
            want = target - len(streams)
            handshakes: list[float] = []
            cpu0, t0 = server.cpu_seconds(), time.monotonic()
            loop = asyncio.get_running_loop()
            # Bounded: room for a server that opens only ~30 streams/s, but no more.
            deadline = loop.time() + max(60.0, 3 * want / ramp_rate, want / 30)
            # Retry streams that failed before with fresh requests of visitors not yet open.
            batch = requests[attempted : attempted + want] if want > 0 else []
            attempted += await _ramp(
                port,
                batch,
                streams,
                failed,
                handshakes,
                rate=ramp_rate,
                max_inflight=max_inflight,
                deadline=deadline,
                progress=tick,
            )
            ramp_s = time.monotonic() - t0
            server.check_alive(f"the ramp to {target} streams")
            cpu = server.cpu_seconds() - cpu0
            await asyncio.sleep(settle)
            held = sum(1 for s in streams if s.open)
            rss = server.rss_kb()
            result.levels.append(
                Level(
                    target=target,
                    held=held,
                    attempted=attempted,
                    failed=dict(failed),
                    ramp_seconds=round(ramp_s, 2),
                    open_rate=round(len(handshakes) / ramp_s, 1) if ramp_s else 0.0,
                    handshake_p50_ms=round(percentile(handshakes, 50) * 1000, 1),
                    handshake_p99_ms=round(percentile(handshakes, 99) * 1000, 1),
                    rss_kb=rss,
                    kb_per_stream=round((rss - baseline) / held, 1) if held else 0.0,
                    server_fds=server.fds(),
                    server_threads=server.threads(),
                    server_cpu_pct=round(100 * cpu / ramp_s, 1) if ramp_s else 0.0,
                    client_rss_kb=process_rss_kb(),
                )
            )

        # Hold the top plateau past one heartbeat round: streams must survive being idle.
        if hold > 0:
            bytes0 = sum(s.bytes for s in streams)
            t_hold = time.monotonic()
            while time.monotonic() - t_hold < hold:
                await asyncio.sleep(min(1.0, hold))
                progress(done, top, f"{backend}: holding {len(streams)} idle streams")
            server.check_alive("the idle hold")
            result.hold_seconds = round(time.monotonic() - t_hold, 1)
            result.held_after_hold = sum(1 for s in streams if s.open)
            result.rss_after_hold_kb = server.rss_kb()
            n = max(1, len(streams))
            result.ping_bytes_per_stream = round((sum(s.bytes for s in streams) - bytes0) / n, 1)
    finally:
        for s in streams:
            s.close()
    # The server must notice the disconnects and tear each stream down (unsubscribe, close
    # the socket); wait until its fds are back near the baseline, for at most a minute.
    t_close = time.monotonic()
    while time.monotonic() - t_close < 60:
        await asyncio.sleep(0.5)
        if server.fds() <= result.baseline_fds + 5:
            break
        progress(done, top, f"{backend}: waiting for the server to release {server.fds()} fds")
    result.teardown_seconds = round(time.monotonic() - t_close, 1)
    result.rss_after_close_kb = server.rss_kb()
    result.fds_after_close = server.fds()
    result.peak_rss_kb = server.hwm_kb()
    result.seconds = round(time.monotonic() - t_start, 1)
    return result
