"""Load a directory of Markdown articles (YAML front matter) into the knowledge store."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from knowledge.store import ArticleInput, KnowledgeStore, UpsertStats

__all__ = [
    "DEMO_DIR",
    "Article",
    "import_directory",
    "ingest_directory",
    "load_articles",
    "parse_article",
    "slugify",
]

#: The bundled demo knowledge base (Northwind Cycles).
DEMO_DIR = Path(__file__).resolve().parent / "demo"

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)


@dataclass(slots=True)
class Article:
    """A knowledge-base article as loaded from disk (the app also stores these in its DB)."""

    slug: str
    title: str
    body: str  # Markdown without the front matter
    url: str
    tags: list[str] = field(default_factory=list)
    lang: str = "en"
    path: Path | None = None


def slugify(text: str) -> str:
    """URL-safe slug: lowercase ASCII letters, digits and dashes."""
    # "Français" -> "francais": fold accents rather than dropping the letters.
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return slug or "article"


def parse_article(text: str, *, stem: str, base_url: str = "/help") -> Article:
    """Parse one Markdown document with optional YAML front matter."""
    meta: dict[str, object] = {}
    body = text
    match = _FRONT_MATTER.match(text)
    if match:
        loaded = yaml.safe_load(match.group(1)) or {}
        if not isinstance(loaded, dict):
            raise ValueError(f"{stem}: front matter must be a mapping")
        meta = loaded
        body = text[match.end() :]
    body = body.strip() + "\n"

    title = str(meta.get("title") or "").strip()
    if not title:
        h1 = _H1.search(body)
        title = h1.group(1).strip() if h1 else stem.replace("-", " ").replace("_", " ").title()
    slug = slugify(str(meta.get("slug") or stem))
    raw_tags = meta.get("tags") or []
    if isinstance(raw_tags, str):
        raw_tags = [t.strip() for t in raw_tags.split(",")]
    tags = [str(t) for t in raw_tags if str(t).strip()] if isinstance(raw_tags, list) else []
    url = str(meta.get("url") or f"{base_url.rstrip('/')}/{slug}")
    lang = str(meta.get("lang") or "en")
    return Article(slug=slug, title=title, body=body, url=url, tags=tags, lang=lang)


def load_articles(directory: str | Path, *, base_url: str = "/help") -> list[Article]:
    """Read every *.md file under a directory (sorted, so ingestion order is stable)."""
    root = Path(directory)
    if not root.is_dir():
        raise FileNotFoundError(f"not a directory: {root}")
    articles: list[Article] = []
    seen: dict[str, Path] = {}
    for path in sorted(root.rglob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        article = parse_article(path.read_text(encoding="utf-8"), stem=path.stem, base_url=base_url)
        article.path = path
        if article.slug in seen:
            # Same id means one article would silently overwrite the other's chunks.
            raise ValueError(f"duplicate slug {article.slug!r}: {seen[article.slug]} and {path}")
        seen[article.slug] = path
        articles.append(article)
    return articles


def ingest_directory(
    store: KnowledgeStore,
    directory: str | Path,
    *,
    base_url: str = "/help",
    batch_size: int = 16,
    show_progress: bool = True,
    console: Console | None = None,
) -> list[Article]:
    """Index all Markdown articles of a directory (incrementally) and return them."""
    articles = load_articles(directory, base_url=base_url)
    total = UpsertStats()
    with Progress(
        TextColumn("[bold]Indexing[/bold] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not show_progress,
        transient=False,
    ) as progress:
        task = progress.add_task(str(directory), total=len(articles))
        # Batches of articles: one embedding call per batch keeps the model's
        # length-bucketed batches full, which is where ingestion throughput comes from.
        for start in range(0, len(articles), batch_size):
            batch = articles[start : start + batch_size]
            total += store.upsert_articles(
                [ArticleInput(a.slug, a.title, a.url, a.body, a.lang) for a in batch]
            )
            progress.advance(task, len(batch))
        progress.update(
            task,
            description=f"{directory}: {total.embedded} embedded, {total.unchanged} unchanged, "
            f"{total.deleted} removed",
        )
    return articles


def import_directory(
    directory: str | Path,
    store: KnowledgeStore,
    *,
    public_url: str = "",
    show_progress: bool = True,
) -> list[Article]:
    """Index a directory for the app: article URLs are ``{public_url}/help/{slug}``."""
    return ingest_directory(
        store, directory, base_url=f"{public_url.rstrip('/')}/help", show_progress=show_progress
    )
