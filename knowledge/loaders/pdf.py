"""PDF files: text with headings recovered from font sizes (pypdf, pure Python)."""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from knowledge.loaders.base import Document, LoaderError, slug_from_name, title_from_slug

__all__ = ["load_pdf"]

MAX_PAGES = 500

_SENTENCE_END = (".", "!", "?", ":", ";")


@dataclass(slots=True)
class _Line:
    text: str
    size: float
    bold: bool
    y: float
    page: int


def load_pdf(data: bytes, name: str) -> Document:
    """One article from a PDF: the title from its metadata or first big heading."""
    if not data.strip():
        raise LoaderError(f"{name} is empty.")
    if not data.lstrip()[:5] == b"%PDF-":
        raise LoaderError(f"{name} is not a PDF file.")
    import pypdf
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # it warns on every odd font
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoaderError(f"{name} is password-protected; export it without a password.")
        pages = list(reader.pages)
    except LoaderError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise LoaderError(f"{name} is not a readable PDF ({exc}).") from exc
    if len(pages) > MAX_PAGES:
        raise LoaderError(f"{name} has {len(pages)} pages; split it (at most {MAX_PAGES}).")
    lines: list[_Line] = []
    for number, page in enumerate(pages):
        try:
            lines.extend(_page_lines(page, number))
        except Exception as exc:  # pypdf raises many kinds on broken content streams
            raise LoaderError(f"{name}: page {number + 1} cannot be read ({exc}).") from exc
    if not any(ln.text.strip() for ln in lines):
        raise LoaderError(f"{name} has no text layer (a scanned PDF?); Parley does not run OCR.")
    meta_title = ""
    try:
        info: Any = reader.metadata or {}
        meta_title = str(info.get("/Title") or "").strip()
    except Exception:  # broken Info dictionaries are common and harmless
        meta_title = ""
    title, body = _markdown(lines, meta_title)
    slug = slug_from_name(name)
    return Document(slug=slug, title=title or title_from_slug(slug), body=body, source=name)


def _page_lines(page: Any, number: int) -> list[_Line]:
    segments: list[tuple[float, float, bool, str]] = []

    def visit(text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if not text or not text.strip():
            return
        scale_y = abs(float(tm[3]) * float(cm[3])) or 1.0
        y = float(tm[5]) * float(cm[3]) + float(cm[5])
        base = str((font or {}).get("/BaseFont", "")) if hasattr(font, "get") else ""
        bold = bool(re.search(r"bold|black|heavy|semibold", base, re.IGNORECASE))
        for part in text.split("\n"):
            if part.strip():
                segments.append((round(y, 1), float(size or 0) * scale_y, bold, part))

    page.extract_text(visitor_text=visit)
    lines: list[_Line] = []
    for y, size, bold, text in segments:
        last = lines[-1] if lines else None
        if last is not None and abs(last.y - y) < 1.0:  # same baseline: one line
            last.text = (
                f"{last.text} {text.strip()}" if not last.text.endswith(" ") else last.text + text
            )
            last.size = max(last.size, size)
            last.bold = last.bold and bold
        else:
            lines.append(_Line(text.strip(), size, bold, y, number))
    for ln in lines:
        ln.text = re.sub(r"\s+", " ", ln.text).strip()
    return [ln for ln in lines if ln.text]


def _markdown(lines: list[_Line], meta_title: str) -> tuple[str, str]:
    """(title, Markdown body): paragraphs from line gaps, headings from font sizes."""
    weights: Counter[float] = Counter()
    for ln in lines:
        weights[round(ln.size, 1)] += len(ln.text)
    body_size = weights.most_common(1)[0][0] if weights else 11.0

    def is_heading(ln: _Line) -> bool:
        if len(ln.text) > 150 or ln.text.endswith((".", ",")):
            return False
        return ln.size >= body_size * 1.15 or (ln.bold and len(ln.text) <= 90)

    heading_sizes = sorted({round(ln.size, 1) for ln in lines if is_heading(ln)}, reverse=True)
    title = meta_title
    blocks: list[str] = []
    para: list[str] = []
    prev: _Line | None = None
    first_heading = True

    def flush() -> None:
        if para:
            blocks.append(" ".join(para))
            para.clear()

    for ln in lines:
        if is_heading(ln):
            flush()
            rank = heading_sizes.index(round(ln.size, 1))
            if first_heading and rank == 0 and ln.size >= body_size * 1.15:
                first_heading = False
                if not title:
                    title = ln.text
                    prev = ln
                    continue
                if ln.text.strip().lower() == title.strip().lower():
                    prev = ln
                    continue
            first_heading = False
            top = heading_sizes[0] if heading_sizes else ln.size
            level = "##" if round(ln.size, 1) >= top or rank <= 1 else "###"
            if len(heading_sizes) > 2 and rank == 0:
                level = "##"
            blocks.append(f"{level} {ln.text}")
            prev = ln
            continue
        new_para = (
            prev is None
            or prev.page != ln.page
            or is_heading(prev)
            or (prev.y - ln.y) > 1.6 * max(ln.size, 1.0)
            or (prev.y - ln.y) < 0  # a new column or a jump up the page
        )
        if new_para and para and prev is not None and prev.page != ln.page:
            # A paragraph running over a page break continues mid-sentence.
            new_para = para[-1].endswith(_SENTENCE_END)
        if new_para:
            flush()
        if para and para[-1].endswith("-") and ln.text[:1].islower():
            para[-1] = para[-1][:-1] + ln.text  # re-join a hyphenated word
        else:
            para.append(ln.text)
        prev = ln
    flush()
    body = "\n\n".join(blocks).strip() + "\n"
    return title, body
