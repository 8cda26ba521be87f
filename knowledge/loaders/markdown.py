"""Markdown files (optional YAML front matter) and plain text files."""

from __future__ import annotations

import re

import yaml

from knowledge.ingest import parse_article
from knowledge.loaders.base import Document, LoaderError, slug_from_name, title_from_slug

__all__ = ["load_markdown", "load_text"]

_SETEXT = re.compile(r"^(?P<text>[^\n]+)\n(?P<rule>=+|-+)[ \t]*$", re.MULTILINE)


def load_markdown(text: str, name: str) -> Document:
    """One Markdown article; the file's stem is its slug unless the front matter names one."""
    if not text.strip():
        raise LoaderError(f"{name} is empty.")
    try:
        art = parse_article(text, stem=slug_from_name(name))
    except (ValueError, yaml.YAMLError) as exc:
        raise LoaderError(f"{name}: the front matter is not valid YAML ({exc}).") from exc
    if not art.body.strip() or art.body.strip().startswith("---"):
        raise LoaderError(f"{name} has no article text.")
    return Document(
        slug=art.slug, title=art.title, body=art.body, source=name, tags=art.tags, lang=art.lang
    )


def load_text(text: str, name: str) -> Document:
    """A plain-text article: a short first line is its title; underlined lines become headings."""
    stripped = text.strip()
    if not stripped:
        raise LoaderError(f"{name} is empty.")
    slug = slug_from_name(name)
    lines = stripped.split("\n")
    first = lines[0].strip()
    title = title_from_slug(slug)
    body = stripped
    # "Title\n\nText…" or "Title\n=====": a short line without a full stop reads as a title.
    rest = lines[1:]
    if len(first) <= 120 and not first.endswith((".", ":", ",")) and len(lines) > 1:
        if rest and re.fullmatch(r"=+|-+", rest[0].strip() or "x"):
            rest = rest[1:]
            title, body = first, "\n".join(rest).strip()
        elif rest and not rest[0].strip():
            title, body = first, "\n".join(rest).strip()
    body = _SETEXT.sub(lambda m: "## " + m.group("text").strip(), body)
    if not body.strip():
        body = stripped
    return Document(slug=slug, title=title, body=body.strip() + "\n", source=name)
