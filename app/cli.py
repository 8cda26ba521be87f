"""`parley` — serve, seed, migrate and talk to the bot from the terminal."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Annotated

import typer
from rich.console import Console

from app.articles.cli import app as kb_app
from app.config import get_settings
from evals.cli import eval_app

app = typer.Typer(help="Parley: self-hosted, AI-first live chat.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
console = Console()
app.add_typer(kb_app, name="kb")


@app.command()
def migrate() -> None:
    """Apply database migrations (Alembic) to the configured database."""
    from app.migrate import upgrade

    upgrade(get_settings())
    console.print("[green]Database is up to date.[/green]")


async def _seed(with_kb: bool) -> None:
    from app.db import dispose_engine, init_engine, sessionmaker
    from app.seed import seed as do_seed

    settings = get_settings()
    init_engine(settings)
    try:
        async with sessionmaker()() as session:
            result = await do_seed(session, settings, with_kb=with_kb)
            await session.commit()
    finally:
        await dispose_engine()
    console.print(
        f"Demo site key: [bold]{result.site_key}[/bold]; {result.articles} articles indexed."
    )
    if result.admin_password:
        console.rule("[bold]First run: your admin sign-in (shown once)[/bold]")
        console.print(f"  Console:  {settings.public_url.rstrip('/')}/console")
        console.print(f"  Email:    [bold]{result.admin_email}[/bold]")
        console.print(f"  Password: [bold]{result.admin_password}[/bold]")
        console.rule()


@app.command()
def seed(
    kb: Annotated[bool, typer.Option(help="Also import the demo knowledge base.")] = True,
) -> None:
    """Migrate, then create the demo site, the demo knowledge base and the admin agent."""
    from app.migrate import upgrade

    upgrade(get_settings())
    asyncio.run(_seed(kb))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Serve the API, widget, demo page (/demo) and console (/console)."""
    import uvicorn

    from app.main import create_app

    settings = get_settings()
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
        timeout_graceful_shutdown=3,
    )


async def _chat(message: str, thread: str) -> dict[str, object]:
    from graphs.support.runtime import build_context, build_graph, make_checkpointer, run_turn
    from knowledge.store import KnowledgeStore

    settings = get_settings()
    store = KnowledgeStore(settings.chroma_url or settings.chroma_dir)
    async with make_checkpointer(
        settings.postgres_dsn if settings.is_postgres else None, str(settings.checkpoint_path)
    ) as saver:
        graph = build_graph(saver)
        result = await run_turn(graph, thread_id=thread, text=message, context=build_context(store))
    return {
        "reply": result.reply,
        "intent": result.intent,
        "confidence": round(result.confidence, 4),
        "sources": [s.slug for s in result.sources],
        "escalated": result.escalated,
        "reason": result.reason,
        "_links": [f"{s.title} — {s.url}" for s in result.sources],
    }


@app.command()
def chat(
    message: Annotated[str, typer.Argument(help="What the visitor says.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    thread: Annotated[
        str | None, typer.Option(help="Continue this conversation thread instead of a new one.")
    ] = None,
) -> None:
    """Run one visitor message through the real support graph and print the bot's turn."""
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    out = asyncio.run(_chat(message, thread or f"cli-{uuid.uuid4()}"))
    links = out.pop("_links")
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    console.print(f"[bold]Bot:[/bold] {out['reply']}")
    for link in links:  # type: ignore[attr-defined]
        console.print(f"  Source: {link}")
    console.print(
        f"[dim]intent={out['intent']} confidence={out['confidence']} sources={out['sources']} "
        f"escalated={out['escalated']} reason={out['reason']}[/dim]"
    )


if __name__ == "__main__":
    app()
