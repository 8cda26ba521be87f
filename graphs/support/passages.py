"""Extractive answers: the sentences of a retrieved chunk that best answer the question."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

__all__ = ["select_passage", "stream_pieces"]

# A best sentence shorter than this usually leans on the one before it
# ("We do not currently ship to other countries." needs the list of countries).
_SHORT = 80


def _finish(unit: str) -> str:
    unit = unit.strip()
    return unit if unit[-1:] in ".!?:;)\"'…" else unit + "."


def select_passage(
    units: Sequence[str],
    sims: np.ndarray,
    *,
    max_chars: int = 350,
    min_relative: float = 0.8,
) -> str:
    """The best-matching sentence plus nearly-as-relevant ones, in document order, ≤ max_chars.

    Document order makes the passage read like the article rather than a shuffled
    list; the length cap keeps the answer a few sentences, not a wall of text.
    """
    if not units:
        return ""
    texts = [_finish(u) for u in units]
    order = [int(i) for i in np.argsort(-np.asarray(sims), kind="stable")]
    best = order[0]
    chosen = {best}
    total = len(texts[best])

    def fits(i: int) -> bool:
        return total + 1 + len(texts[i]) <= max_chars

    if len(texts[best]) < _SHORT and best > 0 and fits(best - 1):
        chosen.add(best - 1)
        total += 1 + len(texts[best - 1])
    floor = float(sims[best]) * min_relative
    for i in order[1:]:
        if float(sims[i]) < floor:
            break
        if i not in chosen and fits(i):
            chosen.add(i)
            total += 1 + len(texts[i])
    return _clip(" ".join(texts[i] for i in sorted(chosen)), max_chars)


def _clip(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:-–— ") + "…"


_PIECE = re.compile(r"\S+\s*|\s+")


def stream_pieces(text: str, words: int = 3) -> list[str]:
    """Split text into small pieces (a few words each) whose concatenation is the text."""
    tokens = _PIECE.findall(text)
    return ["".join(tokens[i : i + words]) for i in range(0, len(tokens), words)]
