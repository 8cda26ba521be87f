"""Fixtures for the support graph: real model, real Chroma with the demo KB."""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import psycopg
import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph.state import CompiledStateGraph

from graphs.support.runtime import SupportContext, TurnResult, build_context, build_graph, run_turn
from knowledge.testing import demo_store

Turn = Callable[..., Awaitable[tuple[TurnResult, list[str]]]]

Graph = CompiledStateGraph[Any, Any, Any, Any]


@pytest.fixture(scope="session")
def support_context(tmp_path_factory: pytest.TempPathFactory) -> SupportContext:
    """Context over the demo KB (intent examples embedded once per session)."""
    store, _ = demo_store(tmp_path_factory.mktemp("demo-kb"))
    return build_context(store)


@pytest.fixture
def graph() -> Graph:
    """A fresh graph with an in-memory checkpointer."""
    return build_graph(InMemorySaver())


_threads = itertools.count()


@pytest.fixture
def thread_id() -> str:
    """A new conversation id."""
    return f"t-{next(_threads)}"


@pytest.fixture
def turn(graph: Graph, support_context: SupportContext) -> Turn:
    """Run one visitor message; returns the result and the streamed deltas."""

    async def run(
        text: str, thread: str, g: Graph | None = None, **kwargs: Any
    ) -> tuple[TurnResult, list[str]]:
        deltas: list[str] = []

        async def on_delta(delta: str) -> None:
            deltas.append(delta)

        kwargs.setdefault("context", support_context)
        result = await run_turn(
            g or graph, thread_id=thread, text=text, on_delta=on_delta, **kwargs
        )
        return result, deltas

    return run


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database (PARLEY_TEST_PG_URL admin URL, as in tests/conftest.py)."""
    admin = os.environ.get("PARLEY_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"parley_graph_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not available: {exc}")
    try:
        yield f"{admin.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
