"""FAQ files: question/answer pairs from CSV or JSON, as one article with a section per question."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from typing import Any

from knowledge.loaders.base import Document, LoaderError, slug_from_name, title_from_slug

__all__ = ["faq_markdown", "load_faq_csv", "load_faq_json"]

_QUESTION = {"question", "questions", "q", "frage", "pregunta", "question_text", "title", "faq"}
_ANSWER = {"answer", "answers", "a", "antwort", "respuesta", "réponse", "reponse", "body", "text"}
_CATEGORY = {"category", "section", "topic", "group", "kategorie", "categoría", "categorie"}


def _norm(key: str) -> str:
    return key.strip().strip("\ufeff").lower().replace(" ", "_")


def faq_markdown(pairs: Iterable[tuple[str, str, str]]) -> str:
    """Markdown with one heading per question (grouped under ## category when given)."""
    out: list[str] = []
    current: str | None = None
    grouped = False
    items = list(pairs)
    if any(cat for cat, _, _ in items):
        grouped = True
    for cat, question, answer in items:
        if grouped and cat != current:
            current = cat
            out.append(f"## {cat or 'General'}")
        level = "###" if grouped else "##"
        # A heading is one line: fold any line breaks a spreadsheet cell carried.
        out.append(f"{level} {' '.join(question.split())}")
        out.append(answer.strip())
    return "\n\n".join(out).strip() + "\n"


def _document(pairs: list[tuple[str, str, str]], name: str, skipped: int, kind: str) -> Document:
    if not pairs:
        raise LoaderError(
            f"{name} has no question/answer pairs. Expected {kind} with a question and an "
            "answer per row (headers like 'question' and 'answer')."
        )
    slug = slug_from_name(name)
    warnings = (
        [f"{skipped} row(s) without a question or an answer were skipped."] if skipped else []
    )
    return Document(
        slug=slug,
        title=title_from_slug(slug),
        body=faq_markdown(pairs),
        source=name,
        tags=["faq"],
        warnings=warnings,
    )


def _rows(text: str, name: str) -> list[list[str]]:
    """Rows of the CSV with the delimiter that gives the most consistent table.

    csv.Sniffer guesses wrong on quoted cells full of commas, so each common delimiter
    is tried and the one whose rows have the header's width (>= 2) most often wins.
    """
    best: list[list[str]] = []
    best_score = -1
    error: csv.Error | None = None
    for delimiter in (",", ";", "\t", "|"):
        try:
            rows = [
                r
                for r in csv.reader(io.StringIO(text), delimiter=delimiter, strict=False)
                if any(c.strip() for c in r)
            ]
        except csv.Error as exc:
            error = exc
            continue
        if not rows or len(rows[0]) < 2:
            continue
        score = sum(1 for r in rows if len(r) == len(rows[0]))
        if score > best_score:
            best, best_score = rows, score
    if not best and error is not None:
        raise LoaderError(f"{name} is not valid CSV ({error}).")
    return best


def load_faq_csv(text: str, name: str) -> Document:
    """A CSV FAQ: header row with question/answer (and optional category) columns, or 2 columns."""
    if not text.strip():
        raise LoaderError(f"{name} is empty.")
    rows = _rows(text, name)
    if not rows:
        raise LoaderError(
            f"{name} needs at least two columns (question, answer) separated by commas, "
            "semicolons or tabs."
        )
    header = [_norm(c) for c in rows[0]]
    q_col = next((i for i, h in enumerate(header) if h in _QUESTION), None)
    a_col = next((i for i, h in enumerate(header) if h in _ANSWER and i != q_col), None)
    c_col = next((i for i, h in enumerate(header) if h in _CATEGORY), None)
    if q_col is None or a_col is None:
        if len(rows[0]) < 2:
            raise LoaderError(
                f"{name} needs at least two columns (question, answer); found {len(rows[0])}."
            )
        q_col, a_col, c_col = 0, 1, None  # no header row: the first row is a pair too
        data = rows
    else:
        data = rows[1:]
    pairs: list[tuple[str, str, str]] = []
    skipped = 0
    for row in data:
        q = row[q_col].strip() if q_col < len(row) else ""
        a = row[a_col].strip() if a_col < len(row) else ""
        cat = row[c_col].strip() if c_col is not None and c_col < len(row) else ""
        if q and a:
            pairs.append((cat, q, a))
        else:
            skipped += 1
    return _document(pairs, name, skipped, "CSV")


def _pairs_from(value: Any, category: str = "") -> tuple[list[tuple[str, str, str]], int]:
    pairs: list[tuple[str, str, str]] = []
    skipped = 0
    if isinstance(value, Mapping):
        keys = {_norm(str(k)): k for k in value}
        q_key = next((keys[k] for k in keys if k in _QUESTION), None)
        a_key = next((keys[k] for k in keys if k in _ANSWER), None)
        if q_key is not None and a_key is not None:
            c_key = next((keys[k] for k in keys if k in _CATEGORY), None)
            q, a = str(value[q_key] or "").strip(), _answer_text(value[a_key])
            cat = str(value[c_key] or "").strip() if c_key is not None else category
            return ([(cat, q, a)], 0) if q and a else ([], 1)
        for list_key in ("faqs", "faq", "items", "questions", "entries", "data"):
            if list_key in keys and isinstance(value[keys[list_key]], list):
                return _pairs_from(value[keys[list_key]], category)
        # {"Category": [...]} or {"Question?": "Answer"}
        for k, v in value.items():
            if isinstance(v, str) and str(k).strip() and v.strip():
                pairs.append((category, str(k).strip(), v.strip()))
            elif isinstance(v, list | dict):
                sub, s = _pairs_from(v, str(k).strip())
                pairs.extend(sub)
                skipped += s
            else:
                skipped += 1
        return pairs, skipped
    if isinstance(value, list):
        for item in value:
            sub, s = _pairs_from(item, category)
            pairs.extend(sub)
            skipped += s
        return pairs, skipped
    return [], 1


def _answer_text(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(f"- {v}" for v in value if str(v).strip())
    return str(value or "").strip()


def load_faq_json(text: str, name: str) -> Document:
    """A JSON FAQ: [{question, answer, category?}], {"faqs": [...]} or {question: answer}."""
    if not text.strip():
        raise LoaderError(f"{name} is empty.")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LoaderError(f"{name} is not valid JSON ({exc.msg}, line {exc.lineno}).") from exc
    pairs, skipped = _pairs_from(value)
    doc = _document(pairs, name, skipped, "JSON")
    if (
        isinstance(value, Mapping)
        and isinstance(value.get("title"), str)
        and value["title"].strip()
    ):
        doc.title = value["title"].strip()
    return doc
