"""Fixtures for the eval tests: an eval cache holding the demo knowledge base."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evals.runner import kb_cache_key
from knowledge.ingest import DEMO_DIR
from knowledge.testing import demo_store


@pytest.fixture(scope="session")
def eval_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An eval cache directory with the demo KB already built.

    The index comes from the demo store the other test suites share, so the demo
    articles are embedded once per test session, not once more for the evals.
    """
    store, _ = demo_store(tmp_path_factory.mktemp("demo-kb"))
    cache = tmp_path_factory.mktemp("eval-cache")
    source = Path(str(store.client.get_settings().persist_directory))
    shutil.copytree(source, cache / f"kb-{kb_cache_key(DEMO_DIR)}")
    return cache
