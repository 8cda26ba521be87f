"""Loaders: turn files, pages and sitemaps into Markdown articles for the knowledge base.

Every loader returns :class:`Document` objects and raises :class:`LoaderError` with a
message meant for the person importing (the API turns it into a 4xx).
"""

from __future__ import annotations

from pathlib import Path

from knowledge.loaders.base import Document, LoaderError, decode_text, sniff_binary
from knowledge.loaders.faq import load_faq_csv, load_faq_json
from knowledge.loaders.html import load_html
from knowledge.loaders.markdown import load_markdown, load_text
from knowledge.loaders.pdf import load_pdf
from knowledge.loaders.web import FetchResult, SiteFetcher, fetch_documents, normalize_origin

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Document",
    "FetchResult",
    "LoaderError",
    "SiteFetcher",
    "fetch_documents",
    "load_bytes",
    "load_path",
    "normalize_origin",
]

SUPPORTED_SUFFIXES = (
    ".md", ".markdown", ".txt", ".text", ".html", ".htm", ".csv", ".tsv", ".json", ".pdf",
)  # fmt: skip
MAX_FILE_BYTES = 20 * 1024 * 1024


def load_bytes(data: bytes, filename: str) -> list[Document]:
    """Documents in one file's bytes, chosen by its extension and checked against its bytes."""
    name = Path(filename).name or "upload"
    suffix = Path(name).suffix.lower()
    if not data or not data.strip():
        raise LoaderError(f"{name} is empty.")
    if suffix == ".pdf" or (suffix not in SUPPORTED_SUFFIXES and data[:5] == b"%PDF-"):
        return [load_pdf(data, name)]
    if suffix in (".html", ".htm"):
        what = sniff_binary(data)
        if what is not None:
            raise LoaderError(f"{name} is {what}, not an HTML page.")
        return [load_html(data, name)]
    if suffix in (".md", ".markdown"):
        return [load_markdown(decode_text(data, name), name)]
    if suffix in (".txt", ".text"):
        return [load_text(decode_text(data, name), name)]
    if suffix in (".csv", ".tsv"):
        return [load_faq_csv(decode_text(data, name), name)]
    if suffix == ".json":
        return [load_faq_json(decode_text(data, name), name)]
    what = sniff_binary(data)
    if what is None and data.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        return [load_html(data, name)]
    kinds = ", ".join(SUPPORTED_SUFFIXES)
    raise LoaderError(f"{name}: unsupported file type {suffix or '(none)'}; use one of {kinds}.")


def load_path(path: str | Path) -> list[Document]:
    """Documents in a file or, recursively, a directory (README files and dotfiles skipped)."""
    root = Path(path)
    if root.is_file():
        if root.stat().st_size > MAX_FILE_BYTES:
            raise LoaderError(f"{root.name} is larger than {MAX_FILE_BYTES // 1024 // 1024} MB.")
        return load_bytes(root.read_bytes(), root.name)
    if not root.is_dir():
        raise LoaderError(f"{root} does not exist.")
    docs: list[Document] = []
    seen: dict[str, Path] = {}
    for file in sorted(root.rglob("*")):
        rel = file.relative_to(root)
        if not file.is_file() or any(p.startswith(".") for p in rel.parts):
            continue
        if file.suffix.lower() not in SUPPORTED_SUFFIXES or file.stem.lower() == "readme":
            continue
        for doc in load_path(file):
            if doc.slug in seen:
                raise LoaderError(
                    f"{seen[doc.slug]} and {rel} would both be the article {doc.slug!r}."
                )
            seen[doc.slug] = rel
            docs.append(doc)
    if not docs:
        raise LoaderError(f"{root} has no files to import ({', '.join(SUPPORTED_SUFFIXES)}).")
    return docs
