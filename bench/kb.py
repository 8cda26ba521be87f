"""Knowledge-base figures against DESIGN.md §3: embedding, ingestion, retrieval, memory.

`run()` measures and returns the figures (a JSON-able dict with `rows` for the table);
`python -m bench --only kb` prints them with the other benches, and
`python -m bench.kb [--quick] [--sizes 1000,10000,100000]` runs this part alone.

All with the app's own objects (get_embedder, KnowledgeStore):
- query embedding: ms per distinct, uncached visitor question (the questions of
  evals/demo), and chunks/s straight through the model for ~90- and ~200-token chunks;
- ingestion: chunks/s through KnowledgeStore.upsert_articles (chunking, embedding, Chroma
  writes) on copies of the demo knowledge base, without and with sentence vectors (the
  app's default is with);
- retrieval: KnowledgeStore.search p50/p99 — the call the bot makes, query embedding
  included — and Chroma's query alone (vector given), at each corpus size. Each size is
  measured in a fresh child process, so its resident memory (RSS) is that of a process
  serving that index and nothing else. The corpora are synthetic (bench/corpus.py) and
  cached under data/bench.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import corpus
from bench.stats import percentile

INGEST_BUDGET = 200.0  # chunks/s
RETRIEVAL_BUDGET_MS = 10.0  # p50 at 100k chunks
RETRIEVAL_BUDGET_AT = 100_000
EVALS = corpus.ROOT / "evals" / "demo"

Progress = Callable[[int, int, str], None]


def _quiet(done: int, total: int, label: str) -> None:
    pass


def _ms(values: Sequence[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(values, 50), 2),
        "p99": round(percentile(values, 99), 2),
        "max": round(max(values), 2) if values else 0.0,
        "n": len(values),
    }


def visitor_questions() -> list[str]:
    """Every visitor message of the eval suites (single turns and conversation turns)."""
    out: list[str] = []
    for path in sorted(EVALS.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            if isinstance(item.get("text"), str):
                out.append(item["text"])
            out.extend(t for t in item.get("turns") or [] if isinstance(t, str))
    return list(dict.fromkeys(q for q in out if q.strip()))


_PREFIXES = ["", "Hello, ", "Quick question: ", "Hi there. ", "Excuse me, ", "Hey, ", "Hi! "]


def distinct_questions(n: int, seed: int = 1) -> list[str]:
    """n distinct real visitor questions (a greeting prefix once the suites run out),
    so that no query hits the embedder's memo cache."""
    base = visitor_questions()
    random.Random(seed).shuffle(base)
    return [_PREFIXES[(i // len(base)) % len(_PREFIXES)] + base[i % len(base)] for i in range(n)]


def _ms_each(fn: Callable[[Any], object], args: Sequence[Any]) -> list[float]:
    out = []
    for arg in args:
        start = time.perf_counter()
        fn(arg)
        out.append((time.perf_counter() - start) * 1000)
    return out


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return 0.0


# -- embedder and ingestion (in this process) ----------------------------------------------


def _chunks_of_tokens(embedder: Any, tokens: int, n: int, tag: str) -> list[str]:
    """n distinct prose chunks of about ``tokens`` word-piece tokens each."""
    words = " ".join(f"{t} {b}" for t, b in corpus.synthetic_chunks(40, seed=3)).split()
    out = []
    for i in range(n):
        text: list[str] = [f"{tag}{i}"]
        k = i * 13
        while True:
            text.append(words[k % len(words)])
            k += 7
            if len(text) % 5 == 0 and len(embedder.tokenizer.encode(" ".join(text)).ids) >= tokens:
                break
        out.append(" ".join(text))
    return out


def bench_embedder(embedder: Any, *, queries: int, chunks: int) -> dict[str, Any]:
    """ms per distinct visitor question, and chunks/s straight through the model."""
    qs = distinct_questions(queries + 10, seed=2)
    for q in qs[:10]:  # warm the runtime's allocations, not the cache (distinct texts)
        embedder.embed([q])
    query = _ms(_ms_each(lambda q: embedder.embed([q]), qs[10:]))
    throughput = []
    tag = os.urandom(2).hex()
    for tokens in (90, 200):
        texts = _chunks_of_tokens(embedder, tokens, chunks, tag)
        start = time.perf_counter()
        for i in range(0, len(texts), 32):
            embedder.embed(texts[i : i + 32])
        rate = len(texts) / (time.perf_counter() - start)
        throughput.append({"tokens": tokens, "batch": 32, "chunks_per_s": round(rate, 1)})
    return {"query_embedding_ms": query, "chunk_embedding": throughput}


def _demo_copies(copies: int, articles: int | None = None) -> list[Any]:
    from knowledge.ingest import DEMO_DIR, load_articles
    from knowledge.store import ArticleInput

    out = []
    for c in range(copies):
        for a in load_articles(DEMO_DIR)[:articles]:
            body = a.body.replace(" the ", f" the {c} ", 1)  # a distinct text per copy
            out.append(ArticleInput(f"{a.slug}-{c}", f"{a.title} {c}", a.url, body, a.lang))
    return out


def bench_ingestion(
    embedder: Any, root: Path, *, copies: int, progress: Progress, per_copy: int | None = None
) -> list[dict[str, Any]]:
    """chunks/s through KnowledgeStore.upsert_articles, without and with sentence vectors."""
    from knowledge.store import KnowledgeStore

    out = []
    articles = _demo_copies(copies, per_copy)
    for sentence_vectors in (False, True):
        store = KnowledgeStore(
            root / f"ingest-{sentence_vectors}",
            embedder=embedder,
            sentence_vectors=sentence_vectors,
        )
        store.upsert_articles(_demo_copies(1)[:1])  # create the collections; not counted
        embedded = sentences = 0
        label = f"ingesting {len(articles)} demo articles ({'with' if sentence_vectors else 'without'} sentence vectors)"
        start = time.perf_counter()
        for i in range(0, len(articles), 16):  # ingest_directory's batch size
            embedded += store.upsert_articles(articles[i : i + 16]).embedded
            progress(min(i + 16, len(articles)), len(articles), label)
        elapsed = time.perf_counter() - start
        if sentence_vectors:
            sentences = store.sentence_collection.count()
        out.append(
            {
                "sentence_vectors": sentence_vectors,
                "articles": len(articles),
                "chunks": embedded,
                "sentences": sentences,
                "seconds": round(elapsed, 2),
                "chunks_per_s": round(embedded / elapsed, 1),
            }
        )
    return out


# -- retrieval (one child process per corpus size) ----------------------------------------


def retrieval_child(size: int, queries: int, n_distinct: int) -> dict[str, Any]:
    """In a fresh process: open the cached corpus, time search() and Chroma's query, RSS."""
    from knowledge.embeddings import get_embedder
    from knowledge.store import KnowledgeStore

    console = Console(stderr=True)
    rss_start = _rss_mb()
    embedder = get_embedder()
    embedder.embed_one("warm up the model")
    rss_model = _rss_mb()
    last = [0.0]

    def progress(done: int, total: int, label: str) -> None:
        now = time.monotonic()
        if now - last[0] > 3 or done == total:
            last[0] = now
            console.print(f"[dim]  {label}: {done:,}/{total:,}[/dim]")

    path = corpus.retrieval_corpus(embedder, size, n_distinct=n_distinct, progress=progress)
    t0 = time.perf_counter()
    store = KnowledgeStore(path, embedder=embedder, sentence_vectors=False)
    count = store.count()
    qs = distinct_questions(queries + 10, seed=size)
    store.search(qs[0])  # the first query loads the index from disk
    open_ms = (time.perf_counter() - t0) * 1000
    for q in qs[1:10]:
        store.search(q)
    search = _ms_each(lambda q: store.search(q, k=4), qs[10:])
    vectors = embedder.embed(distinct_questions(queries, seed=size + 1))
    index = _ms_each(
        lambda v: store.collection.query(
            query_embeddings=[v.tolist()],
            n_results=4,
            include=["documents", "metadatas", "distances"],
        ),
        list(vectors),
    )
    rss_end = _rss_mb()
    return {
        "chunks": count,
        "search_ms": _ms(search),
        "index_ms": _ms(index),
        "open_and_first_query_ms": round(open_ms, 1),
        "rss_mb": round(rss_end, 1),
        "rss_model_mb": round(rss_model - rss_start, 1),
        "rss_index_mb": round(rss_end - rss_model, 1),
    }


def bench_retrieval(
    sizes: Sequence[int], *, queries: int, n_distinct: int, console: Console
) -> list[dict[str, Any]]:
    """Retrieval figures per corpus size, each from its own child process."""
    out = []
    for size in sorted(sizes):
        console.print(f"[dim]kb: retrieval at {size:,} chunks (child process)…[/dim]")
        with tempfile.NamedTemporaryFile(suffix=".json") as f:
            cmd = [
                sys.executable,
                "-m",
                "bench.kb",
                "--child-size",
                str(size),
                "--queries",
                str(queries),
                "--distinct",
                str(n_distinct),
                "--child-out",
                f.name,
            ]
            done = subprocess.run(cmd, cwd=corpus.ROOT, stdout=subprocess.DEVNULL)
            if done.returncode != 0:
                raise RuntimeError(f"retrieval child for {size:,} chunks exited {done.returncode}")
            out.append({"size": size, **json.loads(Path(f.name).read_text())})
    return out


# -- figures and table ------------------------------------------------------------------


def _verdict(ok: bool, bad: str = "OVER") -> str:
    return "OK" if ok else bad


def rows_of(fig: dict[str, Any]) -> list[list[str]]:
    """(metric, measured, budget, verdict) rows of the knowledge-base figures."""
    rows: list[list[str]] = []
    e = fig["embedder"]
    rows.append(
        [
            "embedder",
            f"{e['backend']}, {e['threads']} intra-op threads, "
            f"torch {'imported' if e['torch_imported'] else 'not imported'}",
            "no torch at serve time",
            "OVER" if e["torch_imported"] else "OK",
        ]
    )
    q = fig["query_embedding_ms"]
    rows.append(
        [
            "query embedding (distinct visitor questions), p50 / p99",
            f"{q['p50']:.1f} / {q['p99']:.1f} ms",
            f"part of retrieval ≤ {RETRIEVAL_BUDGET_MS:g} ms p50",
            "—",
        ]
    )
    for t in fig["chunk_embedding"]:
        rows.append(
            [
                f"model alone: ~{t['tokens']}-token chunks, batches of {t['batch']}",
                f"{t['chunks_per_s']:.0f} chunks/s",
                f"ingestion ≥ {INGEST_BUDGET:g} chunks/s",
                "—",
            ]
        )
    for i in fig["ingestion"]:
        label = (
            "with sentence vectors (app default)"
            if i["sentence_vectors"]
            else "without sentence vectors"
        )
        rows.append(
            [
                f"ingestion, {i['chunks']} chunks, {label}",
                f"{i['chunks_per_s']:.0f} chunks/s",
                f"≥ {INGEST_BUDGET:g} chunks/s",
                _verdict(i["chunks_per_s"] >= INGEST_BUDGET, "UNDER"),
            ]
        )
    for r in fig["retrieval"]:
        s, x = r["search_ms"], r["index_ms"]
        at_budget = r["size"] >= RETRIEVAL_BUDGET_AT
        budget = f"≤ {RETRIEVAL_BUDGET_MS:g} ms p50" + ("" if at_budget else " (budget is at 100k)")
        rows.append(
            [
                f"retrieval at {r['chunks']:,} chunks: search() p50 / p99",
                f"{s['p50']:.1f} / {s['p99']:.1f} ms",
                budget,
                _verdict(s["p50"] <= RETRIEVAL_BUDGET_MS),
            ]
        )
        rows.append(
            [
                f"retrieval at {r['chunks']:,} chunks: Chroma query alone p50 / p99",
                f"{x['p50']:.1f} / {x['p99']:.1f} ms",
                "—",
                "—",
            ]
        )
        rows.append(
            [
                f"RSS of a process searching {r['chunks']:,} chunks",
                f"{r['rss_mb']:.0f} MB (model {r['rss_model_mb']:.0f}, index {r['rss_index_mb']:.0f}); open + first query {r['open_and_first_query_ms']:.0f} ms",
                "—",
                "—",
            ]
        )
    return rows


def table(fig: dict[str, Any]) -> Table:
    """The knowledge-base table."""
    t = Table(
        title="Knowledge base: embedding, ingestion, retrieval, memory (DESIGN.md §3: ingestion "
        f"≥ {INGEST_BUDGET:g} chunks/s; retrieval ≤ {RETRIEVAL_BUDGET_MS:g} ms p50 at 100k chunks)",
        title_justify="left",
    )
    for col, right in (("metric", False), ("measured", True), ("budget", False), ("", False)):
        t.add_column(col, justify="right" if right else "left")
    for metric, value, budget, verdict in fig["rows"]:
        colour = {"OK": "green", "OVER": "red", "UNDER": "red"}.get(verdict)
        t.add_row(metric, value, budget, f"[{colour}]{verdict}[/{colour}]" if colour else verdict)
    return t


def run(
    *,
    sizes: Sequence[int] = (1_000, 10_000, 100_000),
    queries: int = 300,
    chunks: int = 96,
    copies: int = 2,
    per_copy: int | None = None,
    n_distinct: int = corpus.DISTINCT,
    console: Console | None = None,
    progress: Progress = _quiet,
) -> dict[str, Any]:
    """Measure the knowledge-base figures; returns them with (metric, value, budget, verdict) rows."""
    from knowledge.embeddings import get_embedder

    console = console or Console()
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    rss0 = _rss_mb()
    embedder = get_embedder()
    rss1 = _rss_mb()
    fig: dict[str, Any] = {
        "embedder": {
            "backend": embedder.backend,
            "threads": getattr(embedder.encoder, "threads", 0) or "auto",
            "load_rss_mb": round(rss1 - rss0, 1),
            "torch_imported": "torch" in sys.modules,
        },
        "corpus": corpus.describe(n_distinct),
    }
    console.print("[dim]kb: query embedding and model throughput…[/dim]")
    fig.update(bench_embedder(embedder, queries=queries, chunks=chunks))
    root = Path(tempfile.mkdtemp(prefix="parley-bench-kb-"))
    try:
        console.print("[dim]kb: ingestion through KnowledgeStore.upsert_articles…[/dim]")
        fig["ingestion"] = bench_ingestion(
            embedder, root, copies=copies, per_copy=per_copy, progress=progress
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    fig["retrieval"] = bench_retrieval(
        sizes, queries=queries, n_distinct=n_distinct, console=console
    )
    fig["seconds"] = round(time.perf_counter() - started, 1)
    fig["loadavg"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    fig["rows"] = rows_of(fig)
    return fig


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.kb", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer queries, corpora up to 10k")
    p.add_argument(
        "--sizes",
        type=lambda s: [int(x.replace("_", "")) for x in s.split(",") if x.strip()],
        default=[1_000, 10_000, 100_000],
        help="retrieval corpus sizes",
    )
    p.add_argument("--queries", type=int, default=300, help="timed queries per size")
    p.add_argument(
        "--distinct", type=int, default=corpus.DISTINCT, help="distinct synthetic chunks"
    )
    p.add_argument("--child-size", type=int, help=argparse.SUPPRESS)
    p.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child_size:
        fig = retrieval_child(args.child_size, args.queries, args.distinct)
        assert args.child_out is not None
        args.child_out.write_text(json.dumps(fig))
        return
    if args.quick:
        args.sizes = [s for s in args.sizes if s <= 10_000] or [1_000]
        args.queries = min(args.queries, 100)
    console = Console()
    fig = run(sizes=args.sizes, queries=args.queries, n_distinct=args.distinct, console=console)
    console.print(table(fig))
    console.print(f"• Synthetic corpora: {fig['corpus']}.")


if __name__ == "__main__":
    main()
