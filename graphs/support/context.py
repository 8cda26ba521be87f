"""Run-time context of the support graph: dependencies and tunable knobs."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from graphs.support.classifier import IntentClassifier
from graphs.support.generate import LLMPrompts
from graphs.support.grounding import DEFAULT_GROUNDING_THRESHOLD
from graphs.support.language import LanguageDetector
from graphs.support.llm import ChatLLM, LLMConfig
from graphs.support.phrases import Phrases
from graphs.support.policy import Policy
from knowledge.store import KnowledgeStore

__all__ = [
    "DEFAULT_ANSWER_THRESHOLD",
    "SupportContext",
    "build_context",
    "default_context",
    "llm_config_from_env",
]

# Minimum retrieval score (1 - cosine distance of the best chunk) to answer. The value
# in use comes from prompts/policy.yaml (low_confidence.answer_threshold), calibrated on
# the eval suite with `parley eval calibrate` and recorded there with its figures; this
# default applies only to a policy file without one.
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

    # Escalation policy and guardrails (prompts/policy.yaml).
    policy: Policy = field(default_factory=Policy.from_yaml)

    # Clarify when the best two articles are this close (chunk score and best-sentence
    # score) yet say different things (their best sentences' cosine below
    # clarify_max_agreement): "which one do you mean?" beats a coin toss.
    clarify_margin: float = 0.04
    clarify_sentence_margin: float = 0.04
    clarify_max_agreement: float = 0.6
    clarify_options: int = 3

    # Messages up to this many words that read like a follow-up ("and after that?")
    # are searched together with the previous question's key terms.
    follow_up_max_words: int = 12
    # ...and their search wins unless the message's own is this much more confident.
    follow_up_margin: float = 0.1
    # A follow-up stays with the article last cited when it retrieves within this much
    # of the best hit ("Do you ship to Australia?" → "how long does it take?").
    topic_margin: float = 0.05

    # Generated answers: None means extractive answers only (the embedded default).
    llm: ChatLLM | None = None
    llm_prompts: LLMPrompts | None = None
    llm_passages: int = 3  # retrieved chunks given to the model
    grounding_threshold: float = DEFAULT_GROUNDING_THRESHOLD
    # With an LLM, messages the embedding classifier is unsure about (below this
    # confidence, or this close to the runner-up) are classified by the LLM among the
    # top candidates; a regex pattern (explicit human request) always decides alone.
    llm_intents: bool = True
    llm_intent_fast_confidence: float = 0.75
    llm_intent_fast_margin: float = 0.08
    llm_intent_candidates: int = 8
    llm_intent_timeout: float = 6.0
    # With an LLM, the agent's handoff summary opens with a note it wrote (checked).
    llm_summary: bool = True
    llm_summary_timeout: float = 20.0


def build_context(
    store: KnowledgeStore,
    *,
    intents_path: str | Path | None = None,
    answers_path: str | Path | None = None,
    company: str | None = None,
    policy_path: str | Path | None = None,
    llm: LLMConfig | ChatLLM | None = None,
    llm_prompts_path: str | Path | None = None,
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
    policy = Policy.from_yaml(policy_path)
    if policy.answer_threshold is not None:
        knobs.setdefault("answer_threshold", policy.answer_threshold)
    chat = ChatLLM(llm) if isinstance(llm, LLMConfig) else llm
    return SupportContext(
        store=store,
        classifier=classifier,
        phrases=Phrases.from_yaml(answers_path, company=company),
        language=language,
        policy=policy,
        llm=chat,
        llm_prompts=LLMPrompts.from_yaml(llm_prompts_path) if chat is not None else None,
        **knobs,
    )


_KNOBS = {f.name for f in fields(SupportContext)} - {
    "store",
    "classifier",
    "phrases",
    "language",
    "policy",
    "llm",
    "llm_prompts",
}
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
            _default = build_context(store, llm=llm_config_from_env())
        ctx = _default
    known = {k: v for k, v in (overrides or {}).items() if k in _KNOBS}
    return replace(ctx, **known) if known else ctx


def llm_config_from_env() -> LLMConfig | None:
    """PARLEY_LLM_BASE_URL/PARLEY_LLM_MODEL/PARLEY_LLM_API_KEY for runs without the app
    (LangGraph Studio); the app passes its Settings instead."""
    base_url = os.environ.get("PARLEY_LLM_BASE_URL", "")
    model = os.environ.get("PARLEY_LLM_MODEL", "")
    if not base_url or not model:
        return None
    return LLMConfig(
        base_url=base_url,
        model=model,
        api_key=os.environ.get("PARLEY_LLM_API_KEY", ""),
        structured_output=os.environ.get("PARLEY_LLM_STRUCTURED_OUTPUT", "json_schema"),
    )
