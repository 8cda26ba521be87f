"""Helpers for tests, evals and benchmarks: a demo knowledge store built once per process."""

from __future__ import annotations

import threading
from pathlib import Path

from knowledge.ingest import DEMO_DIR, Article, ingest_directory
from knowledge.store import KnowledgeStore

__all__ = ["demo_store"]

_lock = threading.Lock()
_cache: dict[str, tuple[KnowledgeStore, list[Article]]] = {}


def demo_store(directory: str | Path) -> tuple[KnowledgeStore, list[Article]]:
    """The demo KB indexed in a Chroma directory; the first call per process builds it.

    Embedding the demo KB takes seconds on two cores, so every test suite and eval
    in a process shares one store (later calls ignore ``directory``).
    """
    with _lock:
        if "demo" not in _cache:
            store = KnowledgeStore(Path(directory))
            articles = ingest_directory(store, DEMO_DIR, show_progress=False)
            _cache["demo"] = (store, articles)
        return _cache["demo"]
