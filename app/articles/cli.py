"""`parley kb …`: import, list, search, reindex and export the knowledge base from a terminal."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import get_settings

app = typer.Typer(
    help="Knowledge base: import, list, search, reindex, export.", no_args_is_help=True
)
console = Console(stderr=True)  # progress and messages; stdout stays clean for --json
out = Console()

T = TypeVar("T")


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[item]}", style="dim"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _run(work: Callable[[AsyncSession], Awaitable[T]], *, migrate: bool = True) -> T:
    """Run work in one committed session against the configured database."""
    from app.migrate import upgrade

    settings = get_settings()
    if migrate:
        upgrade(settings)

    async def main() -> T:
        from app.db import dispose_engine, init_engine, sessionmaker

        init_engine(settings)
        try:
            async with sessionmaker()() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await dispose_engine()

    return asyncio.run(main())


def _fail(message: str) -> None:
    console.print(f"[red]Error:[/red] {message}")
    raise typer.Exit(2)


@app.command("import")
def import_(
    source: Annotated[
        str, typer.Argument(help="A file, a directory, or a URL/sitemap of your site.")
    ],
    publish: Annotated[
        bool, typer.Option("--publish/--draft", help="Put the articles live at once.")
    ] = False,
    max_pages: Annotated[int, typer.Option(help="At most this many pages of a sitemap.")] = 500,
) -> None:
    """Import Markdown, HTML, text, CSV/JSON FAQ or PDF files, or pages of your own site."""
    from knowledge.loaders import LoaderError, fetch_documents, load_path

    docs: list[Any]
    skipped: list[tuple[str, str]] = []
    try:
        if source.startswith(("http://", "https://")):
            origins = _run(_origins)
            with _progress() as progress:
                task = progress.add_task("Fetching", total=None, item="")

                def on_fetch(done: int, total: int, item: str) -> None:
                    progress.update(task, completed=done, total=total, item=item[-60:])

                fetched = fetch_documents(
                    source, origins, max_pages=max_pages, on_progress=on_fetch
                )
            docs, skipped = fetched.documents, fetched.skipped
        else:
            docs = load_path(Path(source))
    except LoaderError as exc:
        _fail(str(exc))
        return

    async def save(session: AsyncSession) -> Any:
        from app.articles import service

        with _progress() as progress:
            tasks = {"save": progress.add_task("Saving", total=len(docs), item="")}

            def on_progress(stage: str, done: int, total: int, item: str) -> None:
                if stage not in tasks:
                    tasks[stage] = progress.add_task("Indexing", total=total, item="")
                progress.update(tasks[stage], completed=done, total=total, item=item)

            outcomes, stats = await service.import_documents(
                session, docs, author=None, publish=publish, on_progress=on_progress
            )
        return outcomes, stats

    from app.errors import ParleyError

    try:
        outcomes, stats = _run(save)
    except ParleyError as exc:
        _fail(str(exc.detail))
        return
    counts = {
        k: sum(1 for o in outcomes if o.action == k) for k in ("created", "updated", "unchanged")
    }
    state = "published" if publish else "saved as drafts (publish with --publish or in the console)"
    console.print(
        f"[green]{len(outcomes)} article(s)[/green] {state}: {counts['created']} created, "
        f"{counts['updated']} updated, {counts['unchanged']} unchanged; "
        f"{stats.embedded} chunks embedded."
    )
    for o in outcomes:
        for w in o.warnings:
            console.print(f"[yellow]{o.article.slug}:[/yellow] {w}")
    for url, reason in skipped:
        console.print(f"[yellow]Skipped[/yellow] {url}: {reason}")


async def _origins(session: AsyncSession) -> list[str]:
    from app.articles.router import site_origins

    return await site_origins(session)


@app.command("list")
def list_(
    status: Annotated[
        str | None, typer.Option(help="draft, published or changed (published with edits).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the articles with their status and versions."""
    if status not in (None, "draft", "published", "changed"):
        _fail("--status must be draft, published or changed.")

    async def work(session: AsyncSession) -> list[Any]:
        from app.articles import repository as repo

        return list(await repo.search(session, None, status))

    rows = _run(work)
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "slug": a.slug,
                        "title": a.title,
                        "status": "published" if a.published_version else "draft",
                        "version": a.version,
                        "published_version": a.published_version,
                        "tags": a.tags,
                        "updated_at": a.updated_at.isoformat(),
                    }
                    for a in rows
                ],
                ensure_ascii=False,
            )
        )
        return
    table = Table("Slug", "Title", "Status", "Version", "Tags", "Updated")
    for a in rows:
        live = a.published_version
        st = "draft" if live is None else ("published*" if live != a.version else "published")
        table.add_row(
            a.slug,
            a.title,
            st,
            f"v{a.version}",
            ", ".join(a.tags),
            a.updated_at.strftime("%Y-%m-%d %H:%M"),
        )
    out.print(table)
    console.print(f"{len(rows)} article(s); * = published with unpublished changes.")


@app.command()
def search(
    question: Annotated[str, typer.Argument(help="What a visitor might ask.")],
    k: Annotated[int, typer.Option("-k", help="How many chunks.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list, best first.")] = False,
) -> None:
    """Search the live index: the chunks the bot would retrieve, with scores."""
    from app.articles.index import get_store

    hits = get_store(get_settings()).search(question, k)
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "slug": h.slug,
                        "title": h.title,
                        "section": h.section,
                        "score": round(h.score, 4),
                        "text": h.text,
                    }
                    for h in hits
                ],
                ensure_ascii=False,
            )
        )
        return
    if not hits:
        console.print("No published content matches (is the knowledge base empty?).")
    for h in hits:
        where = f"{h.title} › {h.section}" if h.section else h.title
        out.print(f"[bold]{h.score:.3f}[/bold]  {where}  [dim]({h.slug})[/dim]")
        out.print("   " + " ".join(h.text.split())[:200])


@app.command()
def reindex() -> None:
    """Rebuild the index from the database's published versions (unchanged chunks are kept)."""

    async def work(session: AsyncSession) -> Any:
        from app.articles import service

        with _progress() as progress:
            task = progress.add_task("Reindexing", total=None, item="")
            return await service.reindex(
                session,
                on_progress=lambda _s, d, t, i: progress.update(task, completed=d, total=t, item=i),
            )

    stats = _run(work)
    console.print(
        f"[green]Index up to date:[/green] {stats.embedded} chunks embedded, "
        f"{stats.unchanged} unchanged, {stats.deleted} removed."
    )


@app.command()
def export(
    directory: Annotated[
        Path | None, typer.Argument(help="Write one Markdown file per article here.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON to stdout instead.")] = False,
) -> None:
    """Export every article (Markdown with front matter, re-importable; or JSON)."""
    import yaml

    from app.articles.router import export_articles

    rows = _run(export_articles)
    if as_json or directory is None:
        if directory is None and not as_json:
            console.print("No directory given: printing JSON.")
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    directory.mkdir(parents=True, exist_ok=True)
    with _progress() as progress:
        task = progress.add_task("Exporting", total=len(rows), item="")
        for row in rows:
            meta = {
                "title": row["title"],
                "slug": row["slug"],
                "tags": row["tags"],
                "lang": row["lang"],
            }
            meta["status"] = row["status"]
            front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False).strip()
            (directory / f"{row['slug']}.md").write_text(
                f"---\n{front}\n---\n\n{row['body']}", encoding="utf-8"
            )
            progress.update(task, advance=1, item=row["slug"])
    console.print(f"[green]{len(rows)} article(s)[/green] written to {directory}.")
