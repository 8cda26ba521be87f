"""The FastAPI application: routers, middleware, static files and the background bot."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from app.agents.router import router as agents_router
from app.articles.help import router as help_router
from app.articles.router import router as kb_router
from app.bot import service as bot_service
from app.bot.worker import BotWorker, set_worker
from app.canned.router import router as canned_router
from app.config import Settings, get_settings, set_settings
from app.contacts import router as contacts
from app.contacts.privacy import register_file_eraser
from app.conversations.router import router as conversations_router
from app.crm import outbox as crm_outbox
from app.crm import router as crm
from app.crm.worker import start_webhooks, stop_webhooks
from app.csat.router import widget_router as csat_widget_router
from app.db import dispose_engine, init_engine
from app.demo.router import router as demo_router
from app.errors import install_error_handlers
from app.evals import worker as eval_worker
from app.evals.router import router as evals_router
from app.events.bus import make_bus, set_bus
from app.events.service import add_listener
from app.files import router as files
from app.files import service as files_service
from app.gaps.router import router as gaps_router
from app.lifecycle import router as lifecycle
from app.lifecycle.service import InactivitySweeper
from app.middleware import RateLimitMiddleware, SecurityHeadersMiddleware, SiteCORSMiddleware
from app.notes.router import router as notes_router
from app.pii import install as install_pii_masking
from app.prechat import router as prechat
from app.receipts import router as receipts
from app.reports.router import router as reports_router
from app.routing import service as routing
from app.routing.router import router as routing_router
from app.routing.worker import RoutingSweeper
from app.sites.router import router as sites_router
from app.teams.router import router as teams_router
from app.transcripts import router as transcripts
from app.triggers.router import router as triggers_router
from app.triggers.router import widget_router as trigger_stats_router
from app.visitors.router import router as widget_router

log = logging.getLogger("parley")

ROOT = Path(__file__).resolve().parent.parent
WIDGET_DIST = ROOT / "widget" / "dist"
CONSOLE_DIR = Path(__file__).resolve().parent / "console" / "static"


async def start_bot(settings: Settings, stack: AsyncExitStack) -> BotWorker | None:
    """Load the knowledge base, intents and graph once, and start the job worker."""
    if not settings.bot_enabled:
        return None
    from graphs.support.runtime import build_graph, make_checkpointer
    from knowledge.store import KnowledgeStore

    store = KnowledgeStore(settings.chroma_url or settings.chroma_dir)
    checkpointer = await stack.enter_async_context(
        make_checkpointer(
            settings.postgres_dsn if settings.is_postgres else None, str(settings.checkpoint_path)
        )
    )
    bot_service.set_runtime(
        bot_service.BotRuntime(
            build_graph(checkpointer), bot_service.build_bot_context(settings, store)
        )
    )
    worker = BotWorker(bot_service.handle_job, concurrency=settings.bot_workers)
    await worker.start()
    set_worker(worker)
    return worker


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for these settings."""
    settings = settings or get_settings()
    set_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        settings.secret()
        init_engine(settings)
        bus = make_bus(settings.redis_url)
        set_bus(bus)
        async with AsyncExitStack() as stack:
            worker = await start_bot(settings, stack)
            # CRM webhooks: delivers the outbox (retries, order, dead letters).
            await start_webhooks(settings)
            # Closes quiet conversations (per-site inactivity limits).
            sweeper = InactivitySweeper(settings.lifecycle_sweep_seconds)
            await sweeper.start()
            # Evals run as this process's background task; without Redis it is the only one.
            await eval_worker.start(only_process=not settings.redis_url)
            # Re-assigns idle agents' conversations and drains the routing queue.
            routing_sweeper = RoutingSweeper(settings.routing_sweep_seconds)
            routing_sweeper.start()
            try:
                yield
            finally:
                await routing_sweeper.stop()
                await eval_worker.stop()
                await sweeper.stop()
                await stop_webhooks()
                if worker is not None:
                    await worker.stop()
                set_worker(None)
                bot_service.set_runtime(None)
        await bus.close()
        set_bus(None)
        await dispose_engine()

    app = FastAPI(
        title="Parley",
        version="0.1.0",
        description="Self-hosted, AI-first live chat. Widget endpoints use visitor tokens; "
        "console endpoints use agent access tokens. See docs/api.md.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    install_pii_masking()  # no email, phone or card number reaches a log line
    add_listener(crm_outbox.on_recorded)  # webhook outbox rows, in the events' transaction
    routing.install()  # escalations are routed by listeners on domain events
    register_file_eraser(files_service.erase)  # erasure removes attachments from disk
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(SiteCORSMiddleware)
    app.add_middleware(
        RateLimitMiddleware, redis_url=settings.redis_url, enabled=settings.rate_limits
    )

    app.include_router(widget_router)
    app.include_router(trigger_stats_router)
    app.include_router(agents_router)
    app.include_router(conversations_router)
    app.include_router(notes_router)
    app.include_router(canned_router)
    app.include_router(sites_router)
    app.include_router(prechat.router)
    app.include_router(prechat.widget_router)
    app.include_router(teams_router)
    app.include_router(routing_router)
    app.include_router(triggers_router)
    app.include_router(gaps_router)
    app.include_router(kb_router)
    app.include_router(evals_router)
    app.include_router(help_router)
    app.include_router(demo_router)
    app.include_router(lifecycle.widget_router)
    app.include_router(lifecycle.router)
    app.include_router(csat_widget_router)
    app.include_router(receipts.widget_router)
    app.include_router(receipts.router)
    app.include_router(transcripts.router)
    app.include_router(transcripts.widget_router)
    app.include_router(reports_router)
    app.include_router(contacts.widget_router)
    app.include_router(contacts.router)
    app.include_router(contacts.identity_router)
    app.include_router(crm.router)
    app.include_router(crm.inbound_router)
    app.include_router(files.router)
    app.include_router(files.widget_router)
    app.include_router(files.agent_router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/demo")

    @app.get("/console", include_in_schema=False, response_model=None)
    async def console() -> FileResponse | HTMLResponse:
        index = CONSOLE_DIR / "index.html"
        if not index.exists():
            return HTMLResponse("Console not found.", 404)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    if CONSOLE_DIR.exists():
        app.mount("/console", StaticFiles(directory=CONSOLE_DIR), name="console")
    WIDGET_DIST.mkdir(parents=True, exist_ok=True)
    app.mount("/widget", StaticFiles(directory=WIDGET_DIST), name="widget")
    return app
