"""Embedding, ingestion and retrieval figures against DESIGN.md §3.

`run()` returns (metric, figure, budget) rows for `python -m bench` and prints them as it
goes; `python -m bench.embeddings [--quick] [--sizes 1000,10000,100000]` runs it alone.

What it measures, all with the app's own objects (get_embedder, KnowledgeStore on a
temporary Chroma directory, removed on every exit path):
- the embedder: ms per short query (p50/p99 of distinct, uncached queries) and chunks/s
  for ~90- and ~200-token chunks in batches of 32 and 64;
- ingestion: chunks/s through KnowledgeStore.upsert_articles (chunking, embedding, Chroma
  writes), without and with sentence vectors, on copies of the demo knowledge base;
- retrieval: KnowledgeStore.search p50/p99 for new questions (query embedding included)
  and Chroma's query alone (query vector given), at each corpus size. The corpus is
  synthetic: real vectors of a few hundred demo chunks plus noise, so no 100k-chunk
  embedding run is needed to measure the index.

The machine is shared: the load average before and after is printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from knowledge.chunking import chunk_markdown
from knowledge.embeddings import DIM, Embedder, get_embedder
from knowledge.ingest import DEMO_DIR, load_articles
from knowledge.store import ArticleInput, KnowledgeStore, chunk_units

INGEST_BUDGET = "≥ 200 chunks/s"
TURN_BUDGET = "first token ≤ 30 ms p50 (whole bot turn)"
RETRIEVAL_BUDGET = "≤ 10 ms p50 at 100k chunks"

Row = tuple[str, str, str]

_PROSE = (
    "Refunds are issued to your original payment method within five to seven business "
    "days after we inspect the returned bike. Standard shipping takes three to five "
    "business days and is free on orders over ninety-nine dollars. Our frames carry a "
    "five year warranty against defects in materials and workmanship; wheels two years. "
)
_QUESTIONS = [
    "How long does a refund take",
    "Do you ship to Germany",
    "I forgot my password",
    "Where is my order",
    "Can I change my delivery address",
    "What is the warranty on frames",
    "my bike arrived broken",
    "do you have the trail bike in size XL",
    "how do I cancel my order",
    "can I pay in instalments",
]


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _questions(n: int, tag: str) -> list[str]:
    """Distinct questions, so that no query hits the embedder's memo cache."""
    return [f"{_QUESTIONS[i % len(_QUESTIONS)]} ({tag} {i})?" for i in range(n)]


def _chunks(embedder: Embedder, tokens: int, n: int, tag: str) -> list[str]:
    """n distinct prose chunks of about `tokens` word-piece tokens each."""
    words = _PROSE.split()
    out = []
    for i in range(n):
        text: list[str] = [f"{tag}{i}"]
        k = i
        while True:
            text.append(words[k % len(words)])
            k += 7
            if len(text) % 5 == 0 and len(embedder.tokenizer.encode(" ".join(text)).ids) >= tokens:
                break
        out.append(" ".join(text))
    return out


def _ms_each(fn: Callable[[Any], object], args: Sequence[Any]) -> list[float]:
    """Milliseconds that fn(arg) takes, for each arg."""
    out = []
    for arg in args:
        start = time.perf_counter()
        fn(arg)
        out.append((time.perf_counter() - start) * 1000)
    return out


def bench_embedder(embedder: Embedder, *, queries: int, chunks: int) -> list[Row]:
    """ms per short query and chunks/s straight through the embedder."""
    tag = os.urandom(3).hex()
    qs = _questions(queries + 10, tag)
    for q in qs[:10]:
        embedder.embed([q])
    times = _ms_each(lambda q: embedder.embed([q]), qs[10:])
    rows = [
        (
            "embed one short query (uncached), p50 / p99",
            f"{statistics.median(times):.1f} / {_pct(times, 99):.1f} ms",
            TURN_BUDGET,
        )
    ]
    for tokens in (90, 200):
        texts = _chunks(embedder, tokens, chunks, tag)
        for batch in (32, 64):
            start = time.perf_counter()
            for i in range(0, len(texts), batch):
                embedder.embed(texts[i : i + batch])
            elapsed = time.perf_counter() - start
            rows.append(
                (
                    f"embed ~{tokens}-token chunks, batches of {batch}",
                    f"{len(texts) / elapsed:.0f} chunks/s",
                    INGEST_BUDGET,
                )
            )
    return rows


def _demo_copies(copies: int) -> list[ArticleInput]:
    """The demo articles, `copies` times, each copy's text made distinct by its number."""
    articles = load_articles(DEMO_DIR)
    out = []
    for c in range(copies):
        for a in articles:
            body = a.body.replace(" the ", f" the {c} ", 1)
            out.append(ArticleInput(f"{a.slug}-{c}", f"{a.title} {c}", a.url, body, a.lang))
    return out


def bench_ingestion(embedder: Embedder, root: Path, *, copies: int) -> list[Row]:
    """chunks/s through KnowledgeStore.upsert_articles, with and without sentence vectors."""
    rows = []
    articles = _demo_copies(copies)
    tokens = statistics.mean(
        len(embedder.tokenizer.encode(c.embed_text).ids)
        for a in articles[: len(articles) // copies]
        for c in chunk_markdown(a.title, a.body_markdown)
    )
    for sentence_vectors in (False, True):
        store = KnowledgeStore(
            root / f"ingest-{sentence_vectors}",
            embedder=embedder,
            sentence_vectors=sentence_vectors,
        )
        # Warm the Chroma collection and the model on one copy that is not counted.
        store.upsert_articles(_demo_copies(1)[:2])
        embedded = 0
        start = time.perf_counter()
        for i in range(0, len(articles), 16):  # ingest_directory's batch size
            embedded += store.upsert_articles(articles[i : i + 16]).embedded
        elapsed = time.perf_counter() - start
        label = "with" if sentence_vectors else "without"
        rows.append(
            (
                f"ingest demo KB ×{copies} ({embedded} chunks of ~{tokens:.0f} tokens), "
                f"{label} sentence vectors",
                f"{embedded / elapsed:.0f} chunks/s",
                INGEST_BUDGET,
            )
        )
    return rows


def _synthetic_corpus(embedder: Embedder, n: int, seed: int) -> tuple[np.ndarray, list[str]]:
    """n unit vectors around real demo chunk and sentence vectors, and their texts."""
    texts: list[str] = []
    for a in load_articles(DEMO_DIR):
        for unit in chunk_units(a.body):
            texts.append(unit)
    base = embedder.embed(texts)
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(texts), n)
    noise = rng.standard_normal((n, DIM)).astype(np.float32) * np.float32(0.6 / np.sqrt(DIM))
    vectors = base[pick] + noise
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors, [f"{texts[j]} [{i}]" for i, j in enumerate(pick)]


def bench_retrieval(
    embedder: Embedder, root: Path, *, sizes: Sequence[int], queries: int, console: Console
) -> list[Row]:
    """search() p50/p99 (embedding included) and Chroma's query alone, per corpus size."""
    rows: list[Row] = []
    store = KnowledgeStore(root / "retrieval", embedder=embedder, sentence_vectors=False)
    have = 0
    for size in sorted(sizes):
        vectors, texts = _synthetic_corpus(embedder, size - have, seed=size)
        start = time.perf_counter()
        step = 2000
        for i in range(0, len(texts), step):
            ids = [f"synthetic-{have + i + j}#0" for j in range(len(texts[i : i + step]))]
            store.collection.add(
                ids=ids,
                embeddings=vectors[i : i + step],
                documents=texts[i : i + step],
                metadatas=[
                    {
                        "slug": f"synthetic-{have + i + j}",
                        "title": "Synthetic",
                        "section": "",
                        "url": "/help/synthetic",
                        "chunk": 0,
                        "hash": "-",
                        "lang": "en",
                        "sentences": 0,
                    }
                    for j in range(len(ids))
                ],
            )
        have = size
        console.print(
            f"[dim]retrieval: {store.count():,} chunks indexed "
            f"(+{len(texts):,} in {time.perf_counter() - start:.0f} s)[/dim]"
        )
        tag = os.urandom(3).hex()
        qs = _questions(queries + 10, tag)
        for q in qs[:10]:
            store.search(q)
        full = _ms_each(lambda q: store.search(q, k=4), qs[10:])
        index_only = _ms_each(
            lambda v: store.collection.query(
                query_embeddings=[v.tolist()],
                n_results=4,
                include=["documents", "metadatas", "distances"],
            ),
            list(embedder.embed(qs[10:])),
        )
        rows.append(
            (
                f"retrieval at {size:,} chunks: search(new question), p50 / p99",
                f"{statistics.median(full):.1f} / {_pct(full, 99):.1f} ms",
                RETRIEVAL_BUDGET,
            )
        )
        rows.append(
            (
                f"retrieval at {size:,} chunks: Chroma query only, p50 / p99",
                f"{statistics.median(index_only):.1f} / {_pct(index_only, 99):.1f} ms",
                RETRIEVAL_BUDGET,
            )
        )
    return rows


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return 0.0


def run(
    *,
    quick: bool = False,
    sizes: Sequence[int] = (1_000, 10_000, 100_000),
    console: Console | None = None,
) -> list[Row]:
    """Measure and print the embedding figures; returns (metric, figure, budget) rows."""
    console = console or Console()
    if quick:
        sizes = [s for s in sizes if s <= 10_000] or [1_000]
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    rss0 = _rss_mb()
    embedder = get_embedder()
    rss1 = _rss_mb()
    intra = getattr(embedder.encoder, "threads", 0)
    rows: list[Row] = [
        (
            "embedder runtime",
            f"{embedder.backend}, intra-op threads {intra or 'auto'}, "
            f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}",
            "no torch at serve time",
        ),
        ("embedder memory (RSS growth on load)", f"{rss1 - rss0:.0f} MB", "-"),
    ]
    root = Path(tempfile.mkdtemp(prefix="parley-bench-emb-"))
    try:
        console.print("[dim]embeddings: embedder…[/dim]")
        rows += bench_embedder(embedder, queries=100 if quick else 200, chunks=64 if quick else 128)
        console.print("[dim]embeddings: ingestion…[/dim]")
        rows += bench_ingestion(embedder, root, copies=1 if quick else 3)
        console.print("[dim]embeddings: retrieval…[/dim]")
        rows += bench_retrieval(
            embedder, root, sizes=sizes, queries=100 if quick else 300, console=console
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    rows.append(
        (
            "machine load average (1 min) before / after",
            f"{load_before:.1f} / {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
            f"({time.perf_counter() - started:.0f} s)",
            "shared machine: figures are noisy",
        )
    )
    table = Table(title="Embeddings, ingestion and retrieval (DESIGN.md §3)", title_justify="left")
    for col in ("metric", "figure", "budget"):
        table.add_column(col)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    return rows


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m bench.embeddings", description=__doc__.splitlines()[0]
    )
    p.add_argument("--quick", action="store_true", help="fewer queries, corpora up to 10k")
    p.add_argument(
        "--sizes",
        type=lambda s: [int(x.replace("_", "")) for x in s.split(",") if x.strip()],
        default=[1_000, 10_000, 100_000],
        help="retrieval corpus sizes",
    )
    args = p.parse_args(argv)
    run(quick=args.quick, sizes=args.sizes)


if __name__ == "__main__":
    main()
