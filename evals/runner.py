"""Run a suite through the real support graph and knowledge base, case by case."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import inspect
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph.state import CompiledStateGraph

from evals import scorers
from evals.results import CaseResult, TurnRecord
from evals.simulate import LLMConfig, LLMVisitor, ScriptedVisitor, Visitor
from evals.suites import Conversation, SingleCase, Suite, Turn

__all__ = [
    "EvalRun",
    "RunConfig",
    "evaluate_case",
    "evaluate_conversation",
    "kb_cache_key",
    "open_knowledge_base",
    "quick_subset",
    "run_eval",
]

Graph = CompiledStateGraph[Any, Any, Any, Any]
Progress = Callable[[CaseResult], None]

_ROOT = Path(__file__).resolve().parents[1]


@dataclass
class RunConfig:
    """How to run a suite."""

    kb: Path | None = None  # a directory of articles: a fresh store is built from it
    intents: Path | None = None  # an intents file instead of prompts/intents.yaml
    quick: bool = False
    llm: LLMConfig | None = None  # LLM-played visitors for conversations with a goal
    graph_llm: bool = False  # also let the graph answer with that LLM (its generated answers)
    workers: int = 1
    cache_dir: Path | None = None  # where built knowledge bases are kept between runs
    knobs: dict[str, Any] = field(default_factory=dict)  # SupportContext overrides


@dataclass
class EvalRun:
    """The outcome of a run: one result per case plus what was run, on what."""

    results: list[CaseResult]
    meta: dict[str, Any]


# -- the knowledge base ----------------------------------------------------


def kb_cache_key(kb_dir: Path) -> str:
    """Hash of the articles and of the code that turns them into vectors.

    Any change to an article, to chunking, to the store or to the embedding code gives
    a new key, so a cached index is never stale.
    """
    digest = hashlib.sha256()
    for path in sorted(p for p in kb_dir.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(kb_dir)).encode())
        digest.update(path.read_bytes())
    for path in sorted((_ROOT / "knowledge").glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _build(kb_dir: Path, target: Path) -> None:
    from knowledge.ingest import ingest_directory
    from knowledge.store import KnowledgeStore

    store = KnowledgeStore(target)
    ingest_directory(store, kb_dir, show_progress=False)
    del store


@contextmanager
def open_knowledge_base(kb_dir: Path, *, cache_dir: Path | None) -> Iterator[Any]:
    """A fresh knowledge store built from a directory of articles (a temporary copy).

    Embedding a KB takes tens of seconds on two cores, so the built index is kept in
    ``cache_dir`` under a key of its inputs and copied for each run: every run still
    starts from an untouched store.
    """
    from knowledge.store import KnowledgeStore

    kb_dir = kb_dir.resolve()
    if not kb_dir.is_dir():
        raise FileNotFoundError(f"knowledge base directory not found: {kb_dir}")
    with tempfile.TemporaryDirectory(prefix="parley-eval-") as tmp:
        work = Path(tmp) / "chroma"
        if cache_dir is None:
            _build(kb_dir, work)
        else:
            cached = cache_dir / f"kb-{kb_cache_key(kb_dir)}"
            if not cached.is_dir():
                cache_dir.mkdir(parents=True, exist_ok=True)
                staging = Path(tempfile.mkdtemp(prefix=".building-", dir=cache_dir))
                try:
                    _build(kb_dir, staging / "chroma")
                    # Atomic: a concurrent run sees the whole index or none; if another
                    # run published the same key first, keep theirs.
                    with contextlib.suppress(OSError):
                        (staging / "chroma").rename(cached)
                finally:
                    shutil.rmtree(staging, ignore_errors=True)
                _prune(cache_dir, keep=cached)
            shutil.copytree(cached, work)
        yield KnowledgeStore(work)


#: Built knowledge bases kept in the cache (each is a few MB; code changes make new ones).
CACHE_KEEP = 4


def _prune(cache_dir: Path, *, keep: Path) -> None:
    """Drop all but the newest cached knowledge bases (never the one in use)."""
    entries = sorted(
        (p for p in cache_dir.glob("kb-*") if p.is_dir() and p != keep),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in entries[CACHE_KEEP - 1 :]:
        shutil.rmtree(old, ignore_errors=True)


def configured_store() -> Any:
    """The knowledge store the app uses (PARLEY_CHROMA_URL or the data directory)."""
    from app.config import get_settings
    from knowledge.store import KnowledgeStore

    settings = get_settings()
    return KnowledgeStore(settings.chroma_url or settings.chroma_dir)


# -- one case --------------------------------------------------------------


@dataclass
class _Observed:
    result: Any  # graphs.support.runtime.TurnResult
    state: dict[str, Any]
    latency_ms: float
    outcome: str
    department: str
    hits: list[dict[str, Any]]
    clicked: str | None = None  # slug of the clarification option the visitor chose first
    clicked_title: str | None = None  # what the click sent

    @property
    def options(self) -> list[dict[str, Any]]:
        """The articles offered by a clarification question (slug, title, ...)."""
        return list((self.state.get("clarify") or {}).get("options") or [])


async def _observe(graph: Graph, ctx: Any, thread_id: str, text: str) -> _Observed:
    from graphs.support.runtime import run_turn

    start = time.perf_counter()
    result = await run_turn(graph, thread_id=thread_id, text=text, context=ctx)
    latency = (time.perf_counter() - start) * 1000
    # TurnResult carries no retrieved passages; the checkpoint has this turn's state.
    snapshot = await graph.aget_state({"configurable": {"thread_id": thread_id}})
    state = dict(snapshot.values)
    escalation = state.get("escalation") or {}
    department = str(
        getattr(result, "department", None)
        or escalation.get("department")
        or state.get("department")
        or ""
    )
    return _Observed(
        result=result,
        state=state,
        latency_ms=latency,
        outcome=scorers.classify_outcome(
            escalated=result.escalated,
            reason=result.reason,
            action=state.get("action"),
            answered_by=getattr(result, "answered_by", None) or state.get("answered_by"),
            phrase=state.get("phrase"),
        ),
        department=department,
        hits=list(state.get("hits") or []),
    )


async def _answer_clarification(
    graph: Graph, ctx: Any, thread_id: str, first: _Observed, wanted: tuple[str, ...]
) -> _Observed:
    """Click the offered article the case expects (else the first one), as a visitor would.

    Without an expected article among the options the question stays unanswered and
    ``first`` is returned: the case then fails as "asked to clarify".
    """
    options = first.options
    choice = next((o for o in options if o.get("slug") in wanted), None)
    if choice is None and not wanted and options:
        choice = options[0]
    if choice is None:
        return first
    then = await _observe(graph, ctx, thread_id, str(choice["title"]))
    then.clicked, then.clicked_title = str(choice["slug"]), str(choice["title"])
    return then


def _query(text: str) -> str:
    """The text retrieval searches for, as the graph's intake and retrieve nodes make it."""
    from graphs.support.facts import redact_facts
    from graphs.support.nodes import MAX_QUERY_CHARS

    return redact_facts(re.sub(r"\s+", " ", text).strip()[:MAX_QUERY_CHARS])


async def _ranking(ctx: Any, text: str, hits: list[dict[str, Any]]) -> tuple[list[str], str]:
    if hits:
        return scorers.ranked_slugs(h["slug"] for h in hits), "graph"
    # The graph did not retrieve (small talk, an escalation intent): search the same
    # way it would have, so retrieval is measured on every case that names an article.
    found = await asyncio.to_thread(ctx.store.search, _query(text), ctx.top_k)
    return scorers.ranked_slugs(h.slug for h in found), "search"


def _passages(hits: list[dict[str, Any]]) -> list[str]:
    from knowledge.chunking import plain_text

    return [plain_text(str(h.get("text", ""))) for h in hits]


def _why_outcome(expected: str, obs: _Observed, threshold: float) -> str:
    got = obs.outcome
    detail = ""
    if got == "out_of_scope":
        if obs.result.escalated:
            top = obs.hits[0]["score"] if obs.hits else 0.0
            best = obs.hits[0]["slug"] if obs.hits else "nothing"
            detail = f" (no answer: best match {best} scored {top:.2f}, threshold {threshold:.2f})"
        else:
            detail = f" (refused: {obs.state.get('phrase')})"
    elif got == "escalate":
        detail = f" (escalated as {obs.result.reason})"
    elif got == "answer" and obs.result.sources:
        s = obs.result.sources[0]
        detail = f" (answered from {s.slug}, score {s.score:.2f})"
    elif got == "smalltalk":
        detail = f" (treated as {obs.state.get('phrase') or obs.result.intent})"
    elif got == "clarify":
        detail = " (asked which of " + ", ".join(str(o.get("slug")) for o in obs.options) + ")"
    return f"expected {expected}, got {got}{detail}"


def _cited(obs: _Observed) -> list[str]:
    return [s.slug for s in obs.result.sources] if obs.outcome == "answer" else []


async def evaluate_case(graph: Graph, ctx: Any, case: SingleCase) -> CaseResult:
    """Run one single-turn case on a new thread and score it."""
    thread = f"eval-{case.id}-{uuid.uuid4().hex[:8]}"
    first = await _observe(graph, ctx, thread, case.text)
    obs = first
    clarified: list[str] = []
    if first.outcome == "clarify" and case.expected == "answer":
        clarified = [str(o.get("slug")) for o in first.options]
        obs = await _answer_clarification(graph, ctx, thread, first, case.articles)
    result = obs.result
    cited = _cited(obs)
    why: list[str] = []
    if obs.outcome != case.expected:
        why.append(_why_outcome(case.expected, obs, ctx.answer_threshold))
    # The intent of the visitor's own message (a click is classified as a plain question).
    intent = first.result.intent
    if case.intent and intent != case.intent:
        why.append(f"intent {intent}, expected {case.intent}")

    retrieved: list[str] = []
    source: str | None = None
    rank: int | None = None
    if case.articles:
        retrieved, source = await _ranking(ctx, case.text, first.hits)
        rank = scorers.rank_of(case.articles, retrieved)
        if obs.outcome == "answer" and not set(cited) & set(case.articles):
            why.append(
                f"cited {', '.join(cited) or 'nothing'}, expected {' or '.join(case.articles)}"
            )
    elif first.hits:
        retrieved, source = scorers.ranked_slugs(h["slug"] for h in first.hits), "graph"

    recall: float | None = None
    missing: list[str] = []
    if case.expected == "answer":
        recall, missing = scorers.fact_recall(case.facts, result.reply)
        if missing and obs.outcome == "answer":
            why.append("reply lacks " + ", ".join(repr(m) for m in missing))

    grounded: float | None = None
    unsupported: list[str] = []
    if obs.outcome == "answer":
        grounded, unsupported = scorers.groundedness(result.reply, _passages(obs.hits))
        if unsupported:
            why.append("not supported by a retrieved passage: " + " | ".join(unsupported)[:200])

    forbidden = scorers.found_forbidden(case.forbidden, result.reply)
    if forbidden:
        why.append("reply contains forbidden " + ", ".join(repr(f) for f in forbidden))

    return CaseResult(
        id=case.id,
        kind="single",
        source=case.source,
        lang=case.lang,
        tags=list(case.tags),
        expected=case.expected,
        outcome=obs.outcome,
        intent=intent,
        articles=cited,
        reply=result.reply,
        passed=not why,
        why=why,
        text=case.text,
        expected_intent=case.intent,
        confidence=round(float(first.result.confidence), 4),
        detected_lang=first.result.lang,
        expected_articles=list(case.articles),
        retrieved=retrieved,
        retrieval_source=source,
        rank=rank,
        facts=list(case.facts),
        facts_missing=missing,
        fact_recall=recall,
        groundedness=grounded,
        unsupported=unsupported,
        forbidden_found=forbidden,
        reason=result.reason,
        department=obs.department,
        summary=result.summary,
        answered_by=str(getattr(result, "answered_by", "") or ""),
        clarified=clarified,
        latency_ms=round(first.latency_ms, 1),
    )


def _turn_checks(turn: Turn, obs: _Observed, index: int) -> list[str]:
    why: list[str] = []
    label = f"turn {index}"
    if turn.articles or turn.facts:
        cited = _cited(obs)
        if obs.outcome != "answer":
            why.append(
                f"{label}: " + _why_outcome("answer", obs, 0.0).replace(", threshold 0.00", "")
            )
        else:
            if turn.articles and not set(cited) & set(turn.articles):
                why.append(
                    f"{label}: cited {', '.join(cited) or 'nothing'}, "
                    f"expected {' or '.join(turn.articles)}"
                )
            _, missing = scorers.fact_recall(turn.facts, obs.result.reply)
            if missing:
                why.append(f"{label}: reply lacks " + ", ".join(repr(m) for m in missing))
    bad = scorers.found_forbidden(turn.forbidden, obs.result.reply)
    if bad:
        why.append(f"{label}: reply contains forbidden " + ", ".join(repr(b) for b in bad))
    return why


def _handoff_texts(conv: Conversation, obs: _Observed | None) -> list[str]:
    """What the agent sees at the handoff: the summary, the facts, the pre-chat form, the pages."""
    texts: list[str] = list(conv.pages)
    if conv.prechat is not None:
        texts += [v for v in (conv.prechat.name, conv.prechat.email, conv.prechat.category) if v]
    if obs is not None and obs.result.escalated:
        texts.append(obs.result.summary or "")
        for values in (obs.result.facts or {}).values():
            texts.extend(values)
    return texts


def _record(visitor: str, obs: _Observed, why: list[str]) -> TurnRecord:
    return TurnRecord(
        visitor=visitor,
        reply=obs.result.reply,
        outcome=obs.outcome,
        intent=obs.result.intent,
        confidence=round(float(obs.result.confidence), 4),
        lang=obs.result.lang,
        articles=_cited(obs),
        retrieved=scorers.ranked_slugs(h["slug"] for h in obs.hits),
        reason=obs.result.reason,
        department=obs.department,
        latency_ms=round(obs.latency_ms, 1),
        why=why,
    )


async def evaluate_conversation(
    graph: Graph, ctx: Any, conv: Conversation, visitor: Visitor | None = None
) -> CaseResult:
    """Play a conversation on one thread until the visitor is done or a human takes over."""
    visitor = visitor or ScriptedVisitor(conv)
    thread = f"eval-{conv.id}-{uuid.uuid4().hex[:8]}"
    records: list[TurnRecord] = []
    why: list[str] = []
    last: _Observed | None = None
    played = 0
    while True:
        turn = await visitor.next_message(records)
        if turn is None:
            break
        played += 1
        first = await _observe(graph, ctx, thread, turn.text)
        obs = first
        if first.outcome == "clarify" and visitor.kind == "script":
            # The scripted visitor clicks the option it came for (else the first one).
            obs = await _answer_clarification(graph, ctx, thread, first, turn.articles)
        last = obs
        checks = _turn_checks(turn, obs, played) if visitor.kind == "script" else []
        why += checks
        if obs is not first:
            records.append(_record(turn.text, first, []))
            records.append(_record(obs.clicked_title or "", obs, checks))
        else:
            records.append(_record(turn.text, obs, checks))
        if obs.result.escalated:
            break  # a person has the conversation now; the bot says nothing more

    final = "escalated" if last is not None and last.result.escalated else "answered"
    if final != conv.expected_final:
        where = f" at turn {played}" if final == "escalated" else ""
        detail = ""
        if last is not None and final == "escalated":
            detail = f" ({last.result.reason})"
        why.append(f"expected {conv.expected_final}, {final}{where}{detail}")
    department = last.department if last is not None else None
    if conv.expected_department and department != conv.expected_department:
        why.append(f"department {department}, expected {conv.expected_department}")
    recall, missing = scorers.mention_recall(conv.handoff_must_mention, _handoff_texts(conv, last))
    if missing:
        why.append("handoff lacks " + ", ".join(repr(m) for m in missing))
    cited = list(dict.fromkeys(s for r in records for s in r.articles))
    return CaseResult(
        id=conv.id,
        kind="conversation",
        source=conv.source,
        lang=conv.lang,
        tags=list(conv.tags),
        expected=conv.expected_final,
        outcome=final,
        intent=records[-1].intent if records else "",
        articles=cited,
        reply=records[-1].reply if records else "",
        passed=not why,
        why=why,
        text=records[0].visitor if records else "",
        confidence=records[-1].confidence if records else 0.0,
        detected_lang=records[-1].lang if records else "",
        reason=last.result.reason if last is not None else None,
        department=department,
        expected_department=conv.expected_department,
        summary=last.result.summary if last is not None else None,
        handoff_recall=recall,
        handoff_missing=missing,
        latency_ms=round(sum(r.latency_ms for r in records), 1),
        turns=records,
        simulated_by=visitor.kind,
    )


# -- a whole suite ---------------------------------------------------------


def _graph_llm(llm: LLMConfig | None, build_context: Any) -> dict[str, Any]:
    """build_context's ``llm`` argument for this endpoint, if the graph has an LLM path."""
    if llm is None or "llm" not in inspect.signature(build_context).parameters:
        return {}
    from graphs.support.llm import LLMConfig as GraphLLMConfig

    return {"llm": GraphLLMConfig(base_url=llm.base_url, model=llm.model, api_key=llm.api_key)}


#: The quick mode keeps one case in this many of each category.
QUICK_EVERY = 3


def quick_subset(suite: Suite, every: int = QUICK_EVERY) -> Suite:
    """One case in ``every`` of each (first tag, expected outcome) group, same for conversations.

    Deterministic (the same cases every run, so two quick runs compare exactly), and
    every group keeps its first case, so each category is still measured.
    """
    groups: dict[tuple[str, str], int] = {}
    cases = []
    for case in suite.cases:
        key = (case.tags[0] if case.tags else "", case.expected)
        n = groups.get(key, 0)
        groups[key] = n + 1
        if n % every == 0:
            cases.append(case)
    convs = [c for i, c in enumerate(suite.conversations) if i % every == 0]
    return Suite(cases=cases, conversations=convs, files=suite.files, kb=suite.kb, name=suite.name)


async def _run_all(
    graph: Graph,
    ctx: Any,
    suite: Suite,
    config: RunConfig,
    on_result: Progress | None,
) -> list[CaseResult]:
    semaphore = asyncio.Semaphore(max(1, config.workers))

    async def guarded(job: Any) -> CaseResult:
        async with semaphore:
            result: CaseResult = await job
        if on_result is not None:
            on_result(result)
        return result

    jobs: list[Any] = [evaluate_case(graph, ctx, case) for case in suite.cases]
    for conv in suite.conversations:
        visitor: Visitor | None = None
        if config.llm is not None and conv.goal:
            visitor = LLMVisitor(conv, config.llm)
        jobs.append(evaluate_conversation(graph, ctx, conv, visitor))
    return list(await asyncio.gather(*(guarded(j) for j in jobs)))


async def run_eval(
    suite: Suite,
    config: RunConfig,
    *,
    on_result: Progress | None = None,
    on_start: Callable[[int], None] | None = None,
    store: Any | None = None,
    context: Any | None = None,
) -> EvalRun:
    """Run every case of the suite through a fresh graph over the chosen knowledge base.

    The knowledge base is ``store`` if given, else one built from ``config.kb`` (or the
    suite manifest's ``kb``), else the app's configured store. ``context`` (a
    SupportContext, e.g. the running bot's) is reused with that store instead of
    building one. ``on_start`` gets the number of cases once everything is ready.
    """
    from graphs.support.runtime import build_context, build_graph

    if config.quick:
        suite = quick_subset(suite)
    kb_dir = config.kb or suite.kb
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    with ExitStack() as stack:
        if store is not None:
            kb = store
        elif kb_dir is not None:
            kb = stack.enter_context(open_knowledge_base(kb_dir, cache_dir=config.cache_dir))
        else:
            kb = configured_store()
        slugs = kb.slugs()
        if not slugs:
            raise RuntimeError("the knowledge base is empty: pass --kb DIRECTORY")
        suite.check_articles(slugs)
        setup_start = time.perf_counter()
        if context is not None:
            ctx = dataclasses.replace(context, store=kb, **config.knobs)
        else:
            ctx = build_context(
                kb,
                intents_path=config.intents,
                **_graph_llm(config.llm if config.graph_llm else None, build_context),
                **config.knobs,
            )
        suite.check_intents(set(ctx.classifier.intents))
        graph = build_graph(InMemorySaver())
        setup_s = time.perf_counter() - setup_start
        kb_s = setup_start - t0
        if on_start is not None:
            on_start(len(suite))
        run_start = time.perf_counter()
        results = await _run_all(graph, ctx, suite, config, on_result)
        run_s = time.perf_counter() - run_start
        threshold = ctx.answer_threshold
    meta = {
        "suite": suite.name,
        "files": [str(p) for p in suite.files],
        "kb": str(kb_dir)
        if kb_dir is not None
        else ("given store" if store else "configured store"),
        "articles": len(slugs),
        "intents": str(config.intents) if config.intents else "prompts/intents.yaml",
        "quick": config.quick,
        "llm": config.llm.model if config.llm is not None else None,
        "graph_llm": getattr(ctx, "llm", None) is not None,
        "workers": config.workers,
        "answer_threshold": threshold,
        "started_at": started.isoformat(timespec="seconds"),
        "seconds": {
            "knowledge_base": round(kb_s, 2),
            "setup": round(setup_s, 2),
            "cases": round(run_s, 2),
            "total": round(time.perf_counter() - t0, 2),
        },
        "cases": len(suite.cases),
        "conversations": len(suite.conversations),
    }
    return EvalRun(results=results, meta=meta)
