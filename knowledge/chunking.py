"""Heading-aware Markdown chunking for the knowledge base."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

__all__ = ["Chunk", "chunk_markdown", "content_hash", "plain_text", "split_sentences"]

# Part of every content hash: bump it when chunking or sentence splitting changes so
# that the next upsert re-embeds everything instead of keeping stale vectors.
CHUNKER_VERSION = "1"

# ~900 characters is ~200 word-piece tokens: with the title/section prefix it stays
# under the model's 256-token window, so nothing a chunk says is silently truncated.
DEFAULT_MAX_CHARS = 900

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}")
_LIST_MARK = re.compile(r"^([-*+]|\d+[.)])\s+")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|`)")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9€$£])")


@dataclass(frozen=True, slots=True)
class Chunk:
    """One retrievable piece of an article."""

    index: int
    section: str
    text: str  # Markdown of the section body (without its heading)
    embed_text: str  # what is embedded: title and section give the passage its topic

    @property
    def hash(self) -> str:
        """Content hash of what is embedded: unchanged hash means the vector is still valid."""
        return content_hash(f"{CHUNKER_VERSION}\n{self.embed_text}")


def content_hash(text: str) -> str:
    """Short stable hash of a text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


def plain_text(markdown: str) -> str:
    """Markdown reduced to the words a reader sees (formatting marks only add noise to vectors).

    Table rows are written out with their column headers ("Canada — Delivery time:
    5–10 business days; Bikes: $129.") so a single row still makes sense on its own,
    both to the embedding model and as an extracted answer sentence.
    """
    lines = markdown.splitlines()
    out: list[str] = []
    header: list[str] | None = None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("|"):
            if _TABLE_RULE.match(stripped):
                continue
            nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
            if header is None and _TABLE_RULE.match(nxt):
                header = _cells(stripped)
                continue
            cells = _cells(stripped)
            if header and len(cells) > 1:
                pairs = [
                    f"{h}: {c}" if h else c
                    for h, c in zip(header[1:], cells[1:], strict=False)
                    if c
                ]
                out.append(f"{cells[0]} — {'; '.join(pairs)}.")
            else:
                out.append(" · ".join(c for c in cells if c))
            continue
        header = None
        out.append(_LIST_MARK.sub("", stripped))
    text = "\n".join(out)
    text = _LINK.sub(r"\1", text)
    text = _EMPHASIS.sub("", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences and list items (each bullet is its own unit)."""
    units: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [ln.strip() for ln in block.splitlines() if ln.strip()]
        paragraph: list[str] = []
        for line in lines:
            if re.match(r"^([-*+]|\d+[.)])\s+", line) or line.startswith("|"):
                if paragraph:
                    units.extend(_SENTENCE_END.split(" ".join(paragraph)))
                    paragraph = []
                units.append(line)
            else:
                paragraph.append(line)
        if paragraph:
            units.extend(_SENTENCE_END.split(" ".join(paragraph)))
    return [u.strip() for u in units if u.strip()]


def _pack(paragraphs: list[str], max_chars: int) -> list[str]:
    """Greedily pack paragraphs into pieces of at most max_chars (split long ones by sentence)."""
    pieces: list[str] = []
    current = ""
    for para in paragraphs:
        parts = [para] if len(para) <= max_chars else split_sentences(para)
        for j, part in enumerate(parts):
            # Sentences of one long paragraph stay in one paragraph; paragraphs keep breaks.
            joiner = "\n\n" if j == 0 else " "
            if current and len(current) + len(joiner) + len(part) > max_chars:
                pieces.append(current)
                current = ""
            current = f"{current}{joiner}{part}" if current else part
    if current:
        pieces.append(current)
    return pieces


def chunk_markdown(title: str, body: str, *, max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    """Split an article into chunks at ##/### headings, packing long sections by paragraph."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    h2 = ""
    in_fence = False
    for line in body.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match is None:
            sections[-1][1].append(line)
            continue
        level, text = len(match.group(1)), match.group(2).strip()
        if level == 1:
            # A leading "# Title" duplicates the front-matter title; keep any other as text.
            if text.strip().lower() != title.strip().lower():
                sections[-1][1].append(text)
            continue
        if level == 2:
            h2 = text
            name = text
        else:
            # Keep the parent heading so "Batteries › Storage" still says what it is about.
            name = f"{h2} › {text}" if h2 else text
        sections.append((name, []))

    chunks: list[Chunk] = []
    for name, lines in sections:
        text = "\n".join(lines).strip()
        if not text:
            continue
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
        for piece in _pack(paragraphs, max_chars):
            heading = f"{title} — {name}" if name else title
            chunks.append(
                Chunk(
                    index=len(chunks),
                    section=name,
                    text=piece,
                    embed_text=f"{heading}\n{plain_text(piece)}",
                )
            )
    return chunks
