"""The agent side of the delivery benchmark, run as its own process (``python -m bench.sender``).

Reads a JSON config on stdin and POSTs agent replies over ``pool`` keep-alive connections:
- ``open``: send i is due at t0 + i/rate and queued for a connection then, whether or not
  earlier sends finished (open loop, so a slow server cannot slow the offered load down);
- ``closed``: ``concurrency`` workers send back to back (service time and capacity).

Prints ``P <started> <finished>`` progress lines and finally ``R <json>`` with one row per
send: [i, conversation_id, t_sched, t_start, t_end, status] on the monotonic clock, which
Linux shares between processes, so the reader can subtract its arrival times.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from typing import Any

import httpx

from bench.server import process_cpu_seconds


def text_of(tag: str, i: int) -> str:
    """The message text the reader matches arrivals by."""
    return f"bench {tag} {i}"


async def _run(cfg: dict[str, Any]) -> dict[str, Any]:
    tag: str = cfg["tag"]
    conv_ids: list[int] = cfg["conversation_ids"]
    pool: int = cfg["pool"]
    limits = httpx.Limits(max_connections=pool, max_keepalive_connections=pool)
    timeout = httpx.Timeout(cfg["timeout"], pool=cfg["timeout"])
    headers = {"Authorization": f"Bearer {cfg['token']}"}
    rows: list[list[Any]] = []
    started = finished = 0
    lag_max = 0.0
    stop = asyncio.Event()

    async with httpx.AsyncClient(
        base_url=cfg["base_url"], headers=headers, limits=limits, timeout=timeout
    ) as client:

        async def send(i: int, t_sched: float) -> None:
            nonlocal started, finished
            cid = conv_ids[i % len(conv_ids)]
            started += 1
            t_start = time.monotonic()  # when a connection took it; t_sched is when it was due
            status: int | str
            try:
                r = await client.post(
                    f"/api/v1/conversations/{cid}/messages",
                    json={"client_message_id": f"{tag}-{i}", "text": text_of(tag, i)},
                )
                status = r.status_code
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            finished += 1
            rows.append([i, cid, t_sched, t_start, time.monotonic(), status])

        async def report() -> None:
            while not stop.is_set():
                print(f"P {started} {finished}", flush=True)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.25)

        reporter = asyncio.create_task(report())
        cpu0 = process_cpu_seconds()
        t_begin = time.monotonic()
        if cfg["mode"] == "open":
            # Open loop: send i is due at t0 + i/rate and is handed to the pool then, however
            # many earlier sends are still waiting. ``pool`` workers each own one keep-alive
            # connection and take due sends in order (a plain FIFO: httpx's own pool queue
            # gets slow with thousands of waiters, which would make the load generator lag).
            rate: float = cfg["rate"]
            n = int(rate * cfg["duration"])
            due: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()

            async def worker() -> None:
                while (item := await due.get()) is not None:
                    await send(*item)

            workers = [asyncio.create_task(worker()) for _ in range(pool)]
            t0 = time.monotonic() + 0.05
            for i in range(n):
                t_sched = t0 + i / rate
                delay = t_sched - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                else:
                    lag_max = max(lag_max, -delay)
                due.put_nowait((i, t_sched))
            for _ in workers:
                due.put_nowait(None)
            _, pending = await asyncio.wait(workers, timeout=cfg["drain"])
            for t in pending:
                t.cancel()
            if pending:
                await asyncio.wait(pending)
            unfinished = n - len(rows)
        else:
            n = cfg["count"]
            nxt = 0

            async def closed_worker() -> None:
                nonlocal nxt
                while nxt < n and time.monotonic() - t_begin < cfg["duration"]:
                    i = nxt
                    nxt += 1
                    await send(i, time.monotonic())

            await asyncio.wait_for(
                asyncio.gather(*(closed_worker() for _ in range(cfg["concurrency"]))),
                cfg["duration"] + cfg["drain"],
            )
            unfinished = 0
        wall = time.monotonic() - t_begin
        stop.set()
        await reporter
    return {
        "rows": rows,
        "scheduled": n,
        "unfinished": unfinished,
        "sender_cpu_s": round(process_cpu_seconds() - cpu0, 3),
        "sender_wall_s": round(wall, 3),
        "schedule_lag_max_ms": round(lag_max * 1000, 1),
    }


def main() -> None:
    cfg = json.loads(sys.stdin.read())
    try:
        import uvloop
    except ImportError:
        out = asyncio.run(_run(cfg))
    else:
        out = uvloop.run(_run(cfg))
    print("R " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
