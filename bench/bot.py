"""Bot turn latency through the running server (DESIGN.md §3, issue #4 item 10).

The server under test is one `parley serve` process in the embedded default (SQLite,
in-process bus, Chroma in the data dir, no LLM: extractive answers), with the bot on and
a knowledge base of the demo articles, really ingested, plus synthetic filler chunks up
to the target size (bench/corpus.py), so that real questions still find real articles.

Each simulated visitor holds the widget's SSE stream open and POSTs
/api/v1/widget/messages, as the widget does. Per turn we take, on this process's
monotonic clock, from just before the POST to
- the first ``bot.delta`` on the visitor's stream (the first answer token the visitor
  sees; a reply that arrives without any delta counts at its stored message), and
- the stored bot ``message.created`` event (the complete answer).

Conversations are closed loops: a visitor sends its next question once the answer is
in, either straight away ("back-to-back": every conversation always has a turn in flight,
the worst case) or after a think time ("paced": a person reading and typing). Questions
are the answerable ones of evals/demo/answers.jsonl, shuffled; when the suite runs out a
greeting prefix makes each text distinct, so no turn is served from the embedder's memo
cache. A visitor whose conversation was handed to a human starts a new session.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.table import Table

from bench.client import SSEStream, open_stream, stream_request
from bench.server import ROOT, Fixture, Server
from bench.stats import percentile

FIRST_P50_MS = 30.0
FIRST_P99_MS = 100.0
BUDGET_CONVERSATIONS = 20
TURN_TIMEOUT_S = 30.0
TURNS_PER_CONVERSATION = 8  # then the visitor starts a new conversation (bounded threads)

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    article: str | None


def load_questions() -> list[Question]:
    """The answerable visitor questions of the demo suite (with the article they need)."""
    out = []
    path = ROOT / "evals" / "demo" / "answers.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            if item.get("expected") == "answer":
                out.append(Question(item["id"], item["text"], item.get("article")))
    return out


_PREFIXES = ["", "Hi, ", "Hello, ", "Quick question: ", "Hi there, ", "Hey, ", "Excuse me, "]


class Questions:
    """Deals distinct question texts across every run of one server."""

    def __init__(self, seed: int = 4) -> None:
        self.base = load_questions()
        random.Random(seed).shuffle(self.base)
        self.n = 0

    def next(self) -> Question:
        q = self.base[self.n % len(self.base)]
        prefix = _PREFIXES[(self.n // len(self.base)) % len(_PREFIXES)]
        self.n += 1
        text = prefix + (q.text[0].lower() + q.text[1:] if prefix else q.text)
        return Question(q.id, text, q.article)


@dataclass
class Turn:
    """One visitor message and what came back."""

    slot: int
    qid: str
    article: str | None
    sent: float = 0.0
    posted: float | None = None
    status: int = 0
    first_delta: float | None = None
    done: float | None = None
    deltas: int = 0
    cited: list[str] = field(default_factory=list)
    escalated: bool = False
    timed_out: bool = False
    nth: int = 0  # 0: the message that opened the conversation

    def first_visible(self) -> float | None:
        """When the visitor saw the first of the answer: a delta, else the stored message."""
        times = [t for t in (self.first_delta, self.done) if t is not None]
        return min(times) if times else None


class Slot:
    """One simulated visitor: a session, its SSE stream, and the turn in flight."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.stream: SSEStream | None = None
        self.headers: dict[str, str] = {}
        self.turn: Turn | None = None
        self.done = asyncio.Event()
        self.handed_over = False
        self.turns_here = 0

    def on_event(self, event: str, data: str, now: float) -> None:
        turn = self.turn
        if event == "bot.delta":
            if turn is not None:
                turn.deltas += 1
                if turn.first_delta is None:
                    turn.first_delta = now
        elif event == "message.created":
            if '"sender":"bot"' not in data or turn is None or turn.done is not None:
                return
            turn.done = now
            with contextlib.suppress(ValueError, KeyError, TypeError):
                turn.cited = [s["slug"] for s in json.loads(data).get("sources") or []]
            self.done.set()
        elif event == "conversation.updated":
            with contextlib.suppress(ValueError, KeyError, TypeError):
                if json.loads(data)["conversation"]["status"] != "bot":
                    self.handed_over = True
                    if turn is not None:
                        turn.escalated = True
                    self.done.set()

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()
            self.stream = None


@dataclass
class RunResult:
    label: str
    conversations: int
    think_s: tuple[float, float]
    turns: int
    answered: int
    escalated: int
    timeouts: int
    errors: dict[str, int]
    no_delta: int
    first_ms: dict[str, float | None]
    complete_ms: dict[str, float | None]
    post_ms: dict[str, float | None]
    expected_cited: int
    expected_total: int
    turns_per_s: float
    server_cpu_pct: float
    server_rss_mb: float
    seconds: float
    # Per turn, in order: [first token ms, complete ms, nth in its conversation, escalated]
    # (None: never came), to look into tails.
    detail: list[list[Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def _ms1(seconds: float) -> float | None:
    return None if math.isinf(seconds) else round(seconds * 1000, 1)


def _stats_ms(values: list[float]) -> dict[str, float | None]:
    """p50/p99/max in ms; None ("never") when a percentile falls on a turn that never came."""

    def ms(v: float) -> float | None:
        return None if math.isinf(v) else round(v * 1000, 1)

    if not values:
        return {"p50": None, "p99": None, "max": None}
    return {
        "p50": ms(percentile(values, 50)),
        "p99": ms(percentile(values, 99)),
        "max": ms(max(values)),
    }


class _Run:
    def __init__(
        self,
        fx: Fixture,
        sessions: Iterator[str],
        questions: Questions,
        client: httpx.AsyncClient,
        *,
        turns: int,
        think: tuple[float, float],
        progress: Progress,
        label: str,
    ) -> None:
        self.fx = fx
        self.sessions = sessions
        self.questions = questions
        self.client = client
        self.remaining = turns
        self.total = turns
        self.think = think
        self.progress = progress
        self.label = label
        self.turns: list[Turn] = []
        self.errors: Counter[str] = Counter()
        self.rng = random.Random(len(label))

    async def _new_session(self, slot: Slot) -> None:
        from app.security import visitor_token

        slot.close()
        sid = next(self.sessions)
        token = visitor_token(sid, self.fx.site_id)
        slot.headers = {"Authorization": f"Bearer {token}", "Origin": self.fx.origin}
        stream, _ = await open_stream(
            self.fx.port, stream_request(self.fx.port, token, self.fx.origin), slot.on_event
        )
        if stream.status != 200:
            stream.close()
            raise RuntimeError(f"visitor stream answered {stream.status}")
        slot.stream = stream
        slot.handed_over = False
        slot.turns_here = 0

    async def slot_loop(self, slot: Slot) -> None:
        if self.think[1] > 0:
            # Paced visitors arrive over a think time, not all in the same millisecond (a
            # synchronised first burst would measure the burst, not the pace).
            await asyncio.sleep(self.rng.uniform(0, self.think[1]))
        while self.remaining > 0:
            self.remaining -= 1
            if slot.stream is None or slot.handed_over or slot.turns_here >= TURNS_PER_CONVERSATION:
                await self._new_session(slot)
            q = self.questions.next()
            turn = Turn(slot=slot.index, qid=q.id, article=q.article, nth=slot.turns_here)
            slot.turn = turn
            slot.done.clear()
            turn.sent = time.monotonic()
            try:
                r = await self.client.post(
                    "/api/v1/widget/messages",
                    headers=slot.headers,
                    json={"client_message_id": uuid.uuid4().hex, "text": q.text},
                )
            except httpx.HTTPError as exc:
                self.errors[type(exc).__name__] += 1
                slot.handed_over = True  # start afresh
                continue
            turn.posted = time.monotonic()
            turn.status = r.status_code
            if r.status_code != 201:
                self.errors[str(r.status_code)] += 1
                continue
            if r.json()["conversation"]["status"] != "bot":
                # Handed to a human by the previous turn (its status event had not arrived):
                # this message goes to the queue, not the bot. Not a bot turn: ask again.
                slot.handed_over = True
                self.remaining += 1
                continue
            try:
                await asyncio.wait_for(slot.done.wait(), TURN_TIMEOUT_S)
            except TimeoutError:
                turn.timed_out = True
                slot.handed_over = True
            slot.turns_here += 1
            self.turns.append(turn)
            self.progress(len(self.turns), self.total, self.label)
            if self.think[1] > 0:
                await asyncio.sleep(self.rng.uniform(*self.think))
        slot.turn = None


async def run_bot(
    fx: Fixture,
    server: Server,
    *,
    levels: list[int],
    turns: int,
    think: tuple[float, float],
    warmup: int = 5,
    progress: Progress,
) -> list[RunResult]:
    """Warm up, then one back-to-back run per level and a paced run per level above one."""
    sessions = iter(sid for sid, _ in fx.visitors)
    questions = Questions()
    results: list[RunResult] = []
    limits = httpx.Limits(
        max_connections=max(levels) + 8, max_keepalive_connections=max(levels) + 8
    )
    async with httpx.AsyncClient(base_url=fx.origin, limits=limits, timeout=60.0) as client:
        plan: list[tuple[str, int, tuple[float, float], int]] = [("warm-up", 1, (0.0, 0.0), warmup)]
        for level in levels:
            name = "conversation" if level == 1 else "conversations"
            plan.append((f"{level} {name}, back-to-back", level, (0.0, 0.0), turns))
            if level > 1 and think[1] > 0:
                plan.append(
                    (
                        f"{level} {name}, paced ({think[0]:g}–{think[1]:g} s think)",
                        level,
                        think,
                        turns,
                    )
                )
        for label, level, pause, n in plan:
            run = _Run(
                fx, sessions, questions, client, turns=n, think=pause, progress=progress,
                label=f"bot: {label}",
            )  # fmt: skip
            slots = [Slot(i) for i in range(level)]
            cpu0, t0 = server.cpu_seconds(), time.monotonic()
            try:
                await asyncio.gather(*(run.slot_loop(s) for s in slots))
            finally:
                for s in slots:
                    s.close()
            wall = time.monotonic() - t0
            cpu = server.cpu_seconds() - cpu0
            server.check_alive(label)
            if label != "warm-up":
                results.append(_result(run, label, level, pause, wall, cpu, server.rss_kb()))
            await asyncio.sleep(1.0)  # let the server see the streams go
    return results


def _result(
    run: _Run,
    label: str,
    level: int,
    think: tuple[float, float],
    wall: float,
    cpu: float,
    rss_kb: int,
) -> RunResult:
    turns = run.turns
    first = []
    for t in turns:
        seen = t.first_visible()
        first.append(seen - t.sent if seen is not None else math.inf)
    complete = [(t.done - t.sent) if t.done is not None else math.inf for t in turns]
    post = [t.posted - t.sent for t in turns if t.posted is not None]
    expected = [t for t in turns if t.article and t.done is not None and not t.escalated]
    return RunResult(
        label=label,
        conversations=level,
        think_s=think,
        turns=len(turns),
        answered=sum(1 for t in turns if t.done is not None and not t.escalated),
        escalated=sum(1 for t in turns if t.escalated),
        timeouts=sum(1 for t in turns if t.timed_out),
        errors=dict(run.errors),
        no_delta=sum(1 for t in turns if t.done is not None and t.first_delta is None),
        first_ms=_stats_ms(first),
        complete_ms=_stats_ms(complete),
        post_ms=_stats_ms(post),
        expected_cited=sum(1 for t in expected if t.article in t.cited),
        expected_total=len(expected),
        turns_per_s=round(len(turns) / wall, 2) if wall else 0.0,
        server_cpu_pct=round(100 * cpu / wall, 1) if wall else 0.0,
        server_rss_mb=round(rss_kb / 1024, 1),
        seconds=round(wall, 1),
        detail=[
            [_ms1(f), _ms1(c), t.nth, t.escalated]
            for f, c, t in zip(first, complete, turns, strict=True)
        ],
    )


def verdict(r: dict[str, Any]) -> str:
    """OK / OVER against the first-token budget (which is stated at 20 conversations)."""
    p50, p99 = r["first_ms"]["p50"], r["first_ms"]["p99"]
    ok = p50 is not None and p99 is not None and p50 <= FIRST_P50_MS and p99 <= FIRST_P99_MS
    return "OK" if ok else "OVER"


def table(fig: dict[str, Any]) -> Table:
    """The bot-turn table."""
    kb = fig["kb"]
    t = Table(
        title=(
            f"Bot turn, embedded default (no LLM), {kb['chunks']:,}-chunk knowledge base "
            f"({kb['real']} real demo chunks + {kb['filler']:,} synthetic), {fig['bot_workers']} "
            f"bot workers; ms from the visitor's POST to the first bot.delta on its SSE stream "
            f"(budget at {BUDGET_CONVERSATIONS} conversations: p50 ≤ {FIRST_P50_MS:g}, "
            f"p99 ≤ {FIRST_P99_MS:g}) and to the stored answer"
        ),
        title_justify="left",
    )
    cols = [
        ("run", False), ("turns", True), ("escalated", True), ("timeouts/errors", True),
        ("first token p50", True), ("p99", True), ("max", True),
        ("complete p50", True), ("p99", True), ("POST p50", True),
        ("turns/s", True), ("server CPU", True), ("right article", True), ("vs budget", False),
    ]  # fmt: skip
    for name, right in cols:
        t.add_column(name, justify="right" if right else "left")

    def ms(v: float | None) -> str:
        return "never" if v is None else f"{v:,.0f}" if v >= 100 else f"{v:.1f}"

    for r in fig["runs"]:
        v = verdict(r)
        colour = "green" if v == "OK" else "red"
        note = "" if r["conversations"] >= BUDGET_CONVERSATIONS else " (budget is at 20)"
        errors = sum(r["errors"].values())
        t.add_row(
            r["label"],
            str(r["turns"]),
            str(r["escalated"]),
            f"{r['timeouts']}/{errors}",
            ms(r["first_ms"]["p50"]),
            ms(r["first_ms"]["p99"]),
            ms(r["first_ms"]["max"]),
            ms(r["complete_ms"]["p50"]),
            ms(r["complete_ms"]["p99"]),
            ms(r["post_ms"]["p50"]),
            f"{r['turns_per_s']:.1f}",
            f"{r['server_cpu_pct']:.0f}%",
            f"{r['expected_cited']}/{r['expected_total']}",
            f"[{colour}]{v}[/{colour}]{note}",
        )
    return t


def notes(fig: dict[str, Any]) -> list[str]:
    """What the table cannot say."""
    out = []
    for r in fig["runs"]:
        if r["no_delta"]:
            out.append(
                f"bot {r['label']}: {r['no_delta']} answers arrived with no bot.delta before "
                "the stored message; their first token is the stored message."
            )
    b2b = [r for r in fig["runs"] if r["conversations"] > 1 and not r["think_s"][1]]
    one = [r for r in fig["runs"] if r["conversations"] == 1]
    if one and one[0]["complete_ms"]["p50"]:
        alone = one[0]
        out.append(
            f"bot: one conversation at a time, a turn takes ≈ {alone['first_ms']['p50']:.0f} ms "
            f"to its first token and ≈ {alone['complete_ms']['p50']:.0f} ms to the stored answer "
            "(p50): that is the floor under any concurrency."
        )
        for r in b2b:
            first, base = r["first_ms"]["p50"], alone["first_ms"]["p50"]
            if first is None or base is None or first < 2 * base:
                continue
            service = 1000 / max(r["turns_per_s"], 1e-9)
            out.append(
                f"bot {r['label']}: the server completes {r['turns_per_s']:.1f} turns/s (one per "
                f"≈ {service:.0f} ms, at {r['server_cpu_pct']:.0f}% of a core), so each message "
                f"waits behind the turns queued before it: the first token there "
                f"({first:.0f} ms p50) is mostly queueing, not the turn itself."
            )
    return out


# -- the same turn without the app around it (where does the time go?) -----------------


async def graph_breakdown(kb_dir: Path, work: Path, *, turns: int) -> dict[str, Any]:
    """run_turn in this process (same KB, same questions, SQLite checkpointer), sequentially,
    and the parts of a turn timed alone on fresh questions: language detection, intent
    (including the uncached query embedding), Chroma search (vector cached), sentence lookup.
    """
    from graphs.support.runtime import build_context, build_graph, make_checkpointer, run_turn
    from knowledge.store import KnowledgeStore

    shutil.copytree(kb_dir, work / "chroma", ignore=shutil.ignore_patterns("ready.json"))
    store = KnowledgeStore(work / "chroma")
    ctx = await asyncio.to_thread(build_context, store)
    questions = Questions(seed=9)
    questions.n = len(questions.base) * 3  # texts the server runs did not use
    first: list[float] = []
    total: list[float] = []
    async with make_checkpointer(None, str(work / "checkpoints.db")) as saver:
        graph = build_graph(saver)
        await run_turn(graph, thread_id="warm", text="how long does shipping take?", context=ctx)
        for i in range(turns):
            seen: list[float] = []

            async def on_delta(_: str, seen: list[float] = seen) -> None:
                if not seen:
                    seen.append(time.perf_counter())

            t0 = time.perf_counter()
            await run_turn(
                graph,
                thread_id=f"t{i // TURNS_PER_CONVERSATION}",
                text=questions.next().text,
                context=ctx,
                on_delta=on_delta,
            )
            total.append(time.perf_counter() - t0)
            if seen:
                first.append(seen[0] - t0)

    parts: dict[str, list[float]] = {k: [] for k in ("language", "intent", "search", "sentences")}

    for _ in range(turns):
        q = questions.next().text
        t0 = time.perf_counter()
        sure = ctx.language.detect_sure(q)
        t1 = time.perf_counter()
        ctx.classifier.classify_scored(q, sure)
        t2 = time.perf_counter()
        hits = store.search(q, ctx.top_k)
        t3 = time.perf_counter()
        store.sentences([h.id for h in hits])
        t4 = time.perf_counter()
        for name, took in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            parts[name].append(took)
    return {
        "turns": turns,
        "first_ms": _stats_ms(first),
        "total_ms": _stats_ms(total),
        "parts_ms": {k: _stats_ms(v) for k, v in parts.items()},
    }


def breakdown_rows(b: dict[str, Any]) -> list[list[str]]:
    """(what, p50, p99) rows of the in-process breakdown."""
    labels = {
        "language": "language detection",
        "intent": "intent: query embedding (uncached) + example similarity",
        "search": "KnowledgeStore.search, query vector cached (Chroma only)",
        "sentences": "sentence vectors of the top hits (Chroma get)",
    }

    def ms(v: float | None) -> str:
        return "never" if v is None else f"{v:.1f}"

    rows = [
        ["run_turn alone → first on_delta", ms(b["first_ms"]["p50"]), ms(b["first_ms"]["p99"])],
        ["run_turn alone → done", ms(b["total_ms"]["p50"]), ms(b["total_ms"]["p99"])],
    ]
    for key, label in labels.items():
        p = b["parts_ms"][key]
        rows.append([f"  part: {label}", ms(p["p50"]), ms(p["p99"])])
    return rows
