"""Shared fixtures: real SQLite and PostgreSQL, in-process bus and Redis, a real HTTP server."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
import pytest_asyncio
import uvicorn

from app.config import Settings, set_settings
from app.seed import DEMO_KB

# The real LLM (llama.cpp's server with SmolLM2) for any test directory that needs it.
pytest_plugins = ["tests.llm_fixtures"]

PG_ADMIN_URL = os.environ.get("PARLEY_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("PARLEY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "correct-horse-battery"
HOST_PAGE_ORIGIN_PORT = int(os.environ.get("PARLEY_TEST_HOST_PORT", "0")) or None


_KB_TEMPLATE: dict[str, Path] = {}


def prime_kb(data_dir: Path, tmp_root: Path) -> None:
    """Copy an already-embedded demo knowledge base into data_dir/chroma.

    Seeding then only updates metadata (URLs differ per server), because unchanged chunks
    are never embedded twice: the suite embeds the demo once, not once per server.
    """
    import shutil

    if "dir" not in _KB_TEMPLATE:
        from knowledge.ingest import import_directory
        from knowledge.store import KnowledgeStore

        template = tmp_root / "kb-template"
        import_directory(
            DEMO_KB, KnowledgeStore(template), public_url="http://template", show_progress=False
        )
        _KB_TEMPLATE["dir"] = template
    data_dir.mkdir(parents=True, exist_ok=True)
    if not (data_dir / "chroma").exists():
        shutil.copytree(_KB_TEMPLATE["dir"], data_dir / "chroma")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Backend:
    """One storage/bus combination the suite runs against."""

    name: str
    database_url: str
    redis_url: str


def _create_pg_database() -> str:
    name = f"parley_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def _drop_pg_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite+inprocess", "postgres+redis"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """SQLite with the in-process bus, then PostgreSQL with Redis: every test runs on both."""
    if request.param == "sqlite+inprocess":
        yield Backend("sqlite+inprocess", "", "")
        return
    name = _create_pg_database()
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield Backend("postgres+redis", f"{base}/{name}", REDIS_URL)
    finally:
        _drop_pg_database(name)


def make_settings(backend: Backend, data_dir: Path, **extra: object) -> Settings:
    """Settings for a test server on this backend."""
    return Settings(
        data_dir=data_dir,
        database_url=backend.database_url,
        redis_url=backend.redis_url,
        secret_key="test-secret-" + uuid.uuid4().hex,
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
        rate_limits=False,
        sse_ping_seconds=5,
        **extra,  # type: ignore[arg-type]
    )


@dataclass
class RunningServer:
    """A real Parley HTTP server in this process."""

    url: str
    settings: Settings
    host_origin: str

    def client(self) -> httpx.AsyncClient:
        """A client for the API."""
        return httpx.AsyncClient(base_url=self.url, timeout=30)


async def start_server(settings: Settings) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    """Migrate, seed, and serve the app on settings.port until stopped."""
    from app.cli import _seed
    from app.main import create_app
    from app.migrate import upgrade

    set_settings(settings)
    await asyncio.to_thread(prime_kb, settings.data_dir, settings.data_dir.parent)
    await asyncio.to_thread(upgrade, settings)
    await _seed(with_kb=settings.bot_enabled)
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=settings.port,
        log_level="warning",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(600):
        if server.started:
            break
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    return server, task


async def stop_server(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    """Shut the server down and wait for it."""
    server.should_exit = True
    try:
        await asyncio.wait_for(task, 20)
    except TimeoutError:
        server.force_exit = True
        await task


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def server(
    backend: Backend, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningServer]:
    """The whole app (bot included) on a real port, seeded with the demo data."""
    port, host_port = free_port(), free_port()
    host_origin = f"http://localhost:{host_port}"
    settings = make_settings(
        backend,
        tmp_path_factory.mktemp(f"data-{backend.name}"),
        port=port,
        public_url=f"http://127.0.0.1:{port}",
        demo_allowed_origins=f"{host_origin},http://127.0.0.1:{port}",
        bot_enabled=os.environ.get("TMP_NO_BOT") != "1",
    )
    srv, task = await start_server(settings)
    try:
        yield RunningServer(
            url=f"http://127.0.0.1:{port}", settings=settings, host_origin=host_origin
        )
    finally:
        await stop_server(srv, task)
        set_settings(None)
