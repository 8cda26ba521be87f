"""Run-time context of the support graph: dependencies and tunable knobs."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from graphs.support.classifier import IntentClassifier
from graphs.support.language import LanguageDetector
from graphs.support.phrases import Phrases
from knowledge.store import KnowledgeStore

__all__ = ["DEFAULT_ANSWER_THRESHOLD", "SupportContext", "build_context", "default_context"]

# Minimum retrieval score (1 - cosine distance of the best chunk) to answer.
# Calibrated on the Northwind demo KB with all-MiniLM-L6-v2 (45 in-scope questions
# phrased like visitors, 25 out-of-scope ones): the lowest in-scope top score was
# 0.397 ("what's your phone number"), the highest out-of-scope ones 0.335 ("how do
# I file my taxes") and 0.331 ("do you sell skateboards"), except "is it going to
# snow in Denver" (0.466, which matches the Denver showroom article). 0.36 sits in
# the gap, slightly towards answering: a wrong escalation costs an agent minute, a
# confident off-topic passage costs trust. Re-calibrate for another KB
# (`parley eval` reports out-of-scope detection).
DEFAULT_ANSWER_THRESHOLD = 0.36


@dataclass
class SupportContext:
    """Dependencies and knobs of one support bot (LangGraph ``context_schema``)."""

    store: KnowledgeStore
    classifier: IntentClassifier
    phrases: Phrases
    language: LanguageDetector = field(default_factory=LanguageDetector)
    answer_threshold: float = DEFAULT_ANSWER_THRESHOLD
    top_k: int = 4
    # Chunks scoring within this much of the best one compete for the answer sentence.
    rerank_margin: float = 0.06
    max_answer_chars: int = 350
    # Extra sentences join the best one only if at least this relevant (relative).
    sentence_min_relative: float = 0.8
    stream_words: int = 3  # words per streamed delta


def build_context(
    store: KnowledgeStore,
    *,
    intents_path: str | Path | None = None,
    answers_path: str | Path | None = None,
    company: str | None = None,
    **knobs: Any,
) -> SupportContext:
    """Load prompts/intents.yaml and prompts/answers.yaml and build a ready context.

    The intent examples are embedded here, once per process; the first language
    detection and embedding are also done here so that no visitor pays for them.
    """
    classifier = IntentClassifier.from_yaml(store.embedder, intents_path)
    language = LanguageDetector()
    language.detect("warm up the language profiles before the first visitor")
    store.embedder.embed_one("warm up")
    return SupportContext(
        store=store,
        classifier=classifier,
        phrases=Phrases.from_yaml(answers_path, company=company),
        language=language,
        **knobs,
    )


_KNOBS = {f.name for f in fields(SupportContext)} - {"store", "classifier", "phrases", "language"}
_default_lock = threading.Lock()
_default: SupportContext | None = None


def default_context(overrides: dict[str, Any] | None = None) -> SupportContext:
    """A process-wide context for runs that bring none (LangGraph Studio / `langgraph dev`).

    Uses PARLEY_CHROMA_URL, else the Chroma directory under PARLEY_DATA_DIR (./data),
    and indexes the demo knowledge base there if it is empty. Scalar knobs given as a
    dict context (e.g. {"answer_threshold": 0.4}) override the defaults.
    """
    global _default
    with _default_lock:
        if _default is None:
            from knowledge.ingest import DEMO_DIR, ingest_directory

            location = os.environ.get("PARLEY_CHROMA_URL") or (
                Path(os.environ.get("PARLEY_DATA_DIR", "./data")) / "chroma"
            )
            store = KnowledgeStore(location)
            if store.count() == 0:
                ingest_directory(store, DEMO_DIR, show_progress=False)
            _default = build_context(store)
        ctx = _default
    known = {k: v for k, v in (overrides or {}).items() if k in _KNOBS}
    return replace(ctx, **known) if known else ctx
