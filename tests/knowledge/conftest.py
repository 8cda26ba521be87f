"""Fixtures for knowledge-base tests: the real model and real Chroma in a temp dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.embeddings import Embedder, get_embedder
from knowledge.ingest import Article
from knowledge.store import KnowledgeStore
from knowledge.testing import demo_store


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The shared embedder (loaded once)."""
    return get_embedder()


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[KnowledgeStore, list[Article]]:
    """The demo knowledge base, indexed once per session."""
    return demo_store(tmp_path_factory.mktemp("demo-kb"))


@pytest.fixture
def store(tmp_path: Path, embedder: Embedder) -> KnowledgeStore:
    """An empty store in its own directory."""
    return KnowledgeStore(tmp_path / "chroma", embedder=embedder)
