"""Nodes and routers of the support graph.

Nodes are small async functions returning partial state updates; routers are pure
functions of the state (and the context's knobs) returning a Literal. Anything
CPU-bound (embedding, Chroma, langdetect) runs in a worker thread so one
conversation's turn never stalls the event loop that serves everyone's streams.
"""

from __future__ import annotations

import asyncio
import difflib
import re
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, Literal

import numpy as np
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from graphs.support.context import SupportContext, default_context
from graphs.support.facts import build_summary, extract_facts, redact_facts
from graphs.support.generate import generate_answer
from graphs.support.grounding import Grounder
from graphs.support.language import stopwords
from graphs.support.passages import select_passage, stream_pieces
from graphs.support.state import Clarification, Escalation, Pick, SourceRef, SupportState
from graphs.support.tasks import classify_intent, handoff_note
from knowledge.store import Hit, SentenceSet, chunk_units

__all__ = [
    "answer",
    "check_policy",
    "clarify",
    "detect_intent",
    "escalate",
    "handoff",
    "intake",
    "retrieve",
    "route_after_handoff",
    "route_policy",
    "route_retrieval",
    "smalltalk",
]

# Visitor messages beyond this are cut before classification and retrieval: the
# model only reads 256 tokens anyway, and huge pastes must not slow everyone down.
MAX_QUERY_CHARS = 2000

# Messages opening like this continue the previous question ("and for e-bikes?").
_FOLLOW_UP_START = re.compile(
    r"^\s*(and|also|but|so|then|plus|what about|how about|what if|same for|and if|"
    r"y|e|et|und|aber|pero|mais|ou|oder)\b",
    re.IGNORECASE,
)
# ...or point back at it ("how long does the refund take after that?", "is it free?").
_ANAPHORA = re.compile(
    r"\b(it|its|that|this|those|these|them|they|there|one|ones|after that|the same|"
    r"eso|esto|ça|cela|dies|isso|isto)\b",
    re.IGNORECASE,
)
_TERM = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
_ESCALATION_PHRASES = {
    "low_confidence": "no_answer",
    "complaint": "handoff_complaint",
    "frustration": "handoff_complaint",
    "repeated_failure": "handoff_unhelpful",
}


def _ctx(runtime: Runtime[SupportContext] | None) -> SupportContext:
    """The run's context; a default one when none was given (LangGraph Studio)."""
    ctx = runtime.context if runtime is not None else None
    if isinstance(ctx, SupportContext):
        return ctx
    return default_context(ctx if isinstance(ctx, dict) else None)


def _text(message: AnyMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    # Multimodal content: keep the text parts (attachments are the app's business).
    return " ".join(
        str(part.get("text", "")) if isinstance(part, dict) else str(part) for part in content
    ).strip()


def _visitor_texts(messages: Sequence[AnyMessage]) -> list[str]:
    return [_text(m) for m in messages if isinstance(m, HumanMessage)]


def _bot_texts(messages: Sequence[AnyMessage]) -> list[str]:
    return [_text(m) for m in messages if isinstance(m, AIMessage) and m.name != "agent"]


def _emit(text: str, words: int) -> None:
    """Stream a reply to the caller in small deltas (LangGraph "custom" stream mode)."""
    writer = get_stream_writer()
    for piece in stream_pieces(text, words):
        writer({"type": "delta", "text": piece})


def _source(item: dict[str, Any] | Pick) -> SourceRef:
    return SourceRef(
        slug=item["slug"],
        title=item["title"],
        url=item["url"],
        score=round(float(item["score"]), 4),
    )


def _distinct_sources(hits: Sequence[dict[str, Any]]) -> list[SourceRef]:
    seen: dict[str, SourceRef] = {}
    for hit in hits:
        seen.setdefault(hit["slug"], _source(hit))
    return list(seen.values())


def _norm_title(text: str) -> str:
    return " ".join(_TERM.findall(text.casefold()))


def _chosen_option(query: str, clarification: Clarification | None) -> SourceRef | None:
    """The option of an open clarification the visitor picked (a quick reply or its title)."""
    if not clarification:
        return None
    said = _norm_title(query)
    if not said:
        return None
    best: tuple[float, SourceRef] | None = None
    for option in clarification["options"]:
        title = _norm_title(option["title"])
        if said == title or (len(title) > 3 and title in said):
            return option
        ratio = difflib.SequenceMatcher(None, said, title).ratio()
        if ratio >= 0.8 and (best is None or ratio > best[0]):
            best = (ratio, option)
    return best[1] if best else None


def _key_terms(text: str, lang: str) -> str:
    """The content words of a question ("how long does a refund take" → "long refund take")."""
    stop = stopwords(lang) | stopwords("en")
    return " ".join(w for w in _TERM.findall(redact_facts(text)) if w.lower() not in stop)


def is_follow_up(query: str, max_words: int = 12) -> bool:
    """Whether a message reads like it continues the previous question."""
    words = query.split()
    if not words or len(words) > max_words:
        return False
    return len(words) <= 3 or bool(_FOLLOW_UP_START.search(query) or _ANAPHORA.search(query))


def _sentences_of(ctx: SupportContext, hits: Sequence[dict[str, Any]]) -> list[SentenceSet]:
    """Sentence units and vectors of each hit (stored at ingestion, else embedded now)."""
    stored = ctx.store.sentences([h["id"] for h in hits if h.get("id")])
    out = []
    for hit in hits:
        sentences = stored.get(hit.get("id", ""))
        if sentences is None:
            units = chunk_units(hit["text"])
            sentences = SentenceSet(units, ctx.store.embedder.embed_many_cached(units))
        out.append(sentences)
    return out


def _llm_passages(
    ctx: SupportContext, pick: Pick, hits: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The chunks the model reads: the chosen passage's, then the next best hits."""
    first = next((h for h in hits if h.get("id") == pick["chunk_id"]), None)
    chosen = [first or {**pick, "id": pick["chunk_id"]}]
    for hit in hits:
        if len(chosen) >= ctx.llm_passages:
            break
        if float(hit["score"]) >= ctx.answer_threshold and hit.get("id") not in {
            c.get("id") for c in chosen
        }:
            chosen.append(hit)
    return chosen


def _picks(
    ctx: SupportContext,
    question: str,
    hits: Sequence[dict[str, Any]],
    threshold: float,
    *,
    only: str | None = None,
) -> list[Pick]:
    """Per article, its best answer passage for the question; the best article first."""
    if not hits or float(hits[0]["score"]) < threshold:
        return []
    top = float(hits[0]["score"])
    # Chunk scores within the margin are too close to tell which section answers: the
    # chunk holding the single most relevant sentence wins.
    candidates = [h for h in hits if float(h["score"]) >= max(top - ctx.rerank_margin, threshold)]
    if only:
        candidates = [h for h in hits if h["slug"] == only and float(h["score"]) >= threshold]
    qvec = ctx.store.embedder.embed_one(question)
    best: dict[str, tuple[float, dict[str, Any], SentenceSet, np.ndarray]] = {}
    article_score: dict[str, float] = {}
    for hit, sentences in zip(candidates, _sentences_of(ctx, candidates), strict=True):
        slug = hit["slug"]
        article_score[slug] = max(article_score.get(slug, 0.0), float(hit["score"]))
        if not sentences.units:
            continue
        sims = sentences.vectors @ qvec
        if slug not in best or float(sims.max()) > best[slug][0]:
            best[slug] = (float(sims.max()), hit, sentences, sims)
    if not best:
        hit = candidates[0]
        return [
            Pick(
                slug=hit["slug"],
                title=hit["title"],
                url=hit["url"],
                score=float(hit["score"]),
                sentence_score=0.0,
                agreement=1.0,
                passage=hit["text"][: ctx.max_answer_chars],
                chunk_id=hit.get("id", ""),
                text=hit["text"],
            )
        ]
    ranked = sorted(best.values(), key=lambda item: item[0], reverse=True)
    first_vec = ranked[0][2].vectors[int(np.argmax(ranked[0][3]))]
    picks: list[Pick] = []
    for score, hit, sentences, sims in ranked:
        vec = sentences.vectors[int(np.argmax(sims))]
        picks.append(
            Pick(
                slug=hit["slug"],
                title=hit["title"],
                url=hit["url"],
                score=round(article_score[hit["slug"]], 4),
                sentence_score=round(score, 4),
                agreement=round(float(vec @ first_vec), 4),
                passage=select_passage(
                    sentences.units,
                    sims,
                    max_chars=ctx.max_answer_chars,
                    min_relative=ctx.sentence_min_relative,
                ),
                chunk_id=hit.get("id", ""),
                text=hit["text"],
            )
        )
    return picks


# -- nodes -----------------------------------------------------------------


async def intake(state: SupportState) -> dict[str, Any]:
    """Take the newest visitor message as this turn's query and reset per-turn fields."""
    texts = _visitor_texts(state.get("messages", []))
    query = re.sub(r"\s+", " ", texts[-1] if texts else "").strip()[:MAX_QUERY_CHARS]
    open_question = state.get("clarify")
    chosen = _chosen_option(query, open_question)
    return {
        "query": query,
        "reply": "",
        "hits": [],
        "picks": [],
        "search_query": "",
        "sources": [],
        "escalation": None,
        "escalate_reason": None,
        "escalate_confidence": 0.0,
        "phrase": None,
        "quick_replies": [],
        "clarified": chosen,
        # An unanswered clarification lapses: the visitor moved on.
        "clarify": open_question if chosen else None,
        "answered_by": "",
        "llm_fallback": None,
        "grounding": None,
        "turns": state.get("turns", 0) + 1,
    }


async def detect_intent(state: SupportState, runtime: Runtime[SupportContext]) -> dict[str, Any]:
    """Classify the intent (embedding similarity to examples) and detect the language."""
    ctx = _ctx(runtime)
    query = state.get("query", "")
    if state.get("clarified"):
        # A quick-reply click is an article title, not something to classify.
        return {"intent": "question", "confidence": 1.0, "action": "answer", "intent_by": "pattern"}

    def work() -> tuple[Any, dict[str, float], str]:
        sure = ctx.language.detect_sure(query)
        # Only a clearly detected language narrows the examples compared with; a short
        # "gracias" keeps them all (and the conversation keeps its language).
        match, scores = ctx.classifier.classify_scored(query, sure)
        return match, scores, sure or state.get("lang") or "en"

    match, scores, lang = await asyncio.to_thread(work)
    sure = match.confidence >= ctx.llm_intent_fast_confidence and (
        match.margin >= ctx.llm_intent_fast_margin
    )
    if (
        ctx.llm is not None
        and ctx.llm_prompts is not None
        and ctx.llm_intents
        and not match.by_pattern
        and not sure
    ):
        earlier = _visitor_texts(state.get("messages", []))[:-1]
        match = await classify_intent(
            ctx.llm,
            ctx.llm_prompts,
            ctx.classifier,
            query,
            match,
            scores,
            company=ctx.phrases.company,
            previous=earlier[-1] if earlier else None,
            candidates=ctx.llm_intent_candidates,
            wait_seconds=ctx.llm_intent_timeout,
        )
    by = "pattern" if match.by_pattern else "llm" if match.by_llm else "embedding"
    return {
        "intent": match.name,
        "confidence": round(match.confidence, 4),
        "intent_by": by,
        "action": match.action,
        "department": match.department,
        "lang": lang,
    }


async def check_policy(state: SupportState, runtime: Runtime[SupportContext]) -> dict[str, Any]:
    """Apply the escalation policy and guardrails (prompts/policy.yaml) to this message."""
    ctx = _ctx(runtime)
    if state.get("clarified"):
        return {}
    query = state.get("query", "")
    earlier = _visitor_texts(state.get("messages", []))[:-1]
    answered_last = bool(state.get("answered_last"))

    def repeated() -> bool:
        if not (answered_last and earlier):
            return False
        embed = ctx.store.embedder.embed_one
        return float(embed(earlier[-1]) @ embed(query)) >= ctx.policy.repeat_similarity

    verdict = ctx.policy.decide(
        text=query,
        intent=state.get("intent", "question"),
        intent_action=state.get("action", "answer"),
        intent_confidence=float(state.get("confidence", 0.0)),
        contact=state.get("contact") or {},
        fired=state.get("policy_fired") or [],
        streak=int(state.get("unhelpful_streak", 0)),
        repeated=await asyncio.to_thread(repeated),
        bot_answered_last=answered_last,
    )
    update: dict[str, Any] = {
        "unhelpful_streak": verdict.streak,
        "policy_fired": [*(state.get("policy_fired") or []), *verdict.fired],
    }
    lang = state.get("lang", "en")
    if verdict.escalate:
        update |= {
            "escalate_reason": verdict.escalate,
            "escalate_confidence": verdict.confidence,
        }
        if verdict.department:
            update["department"] = verdict.department
    elif verdict.refuse:
        update["phrase"] = f"refuse_{verdict.refuse}"
    elif verdict.unhelpful or state.get("intent") == ctx.policy.unhelpful_intent:
        update["phrase"] = "unhelpful"
        update["quick_replies"] = [ctx.phrases.get("talk_to_person", lang)]
    return update


async def retrieve(state: SupportState, runtime: Runtime[SupportContext]) -> dict[str, Any]:
    """Search the knowledge base (follow-ups with the previous topic) and pick passages."""
    ctx = _ctx(runtime)
    query = redact_facts(state.get("query", ""))
    earlier = _visitor_texts(state.get("messages", []))[:-1]
    clarified = state.get("clarified")
    open_question = state.get("clarify")
    topic = state.get("topic")
    lang = state.get("lang", "en")

    def search() -> tuple[str, list[Hit], str | None]:
        if clarified and open_question:
            # Answer the original question from the article the visitor chose.
            question = open_question["question"]
            if len(_key_terms(question, lang).split()) < 3:
                # "discount" → "Price match guarantee": a one-word question says little
                # about what the visitor wants from the article they chose; its title
                # says more.
                question = f"{clarified['title']}: {question}"
            wide = ctx.store.search(question, max(ctx.top_k * 3, 12))
            hits = [h for h in wide if h.slug == clarified["slug"]]
            if not hits:
                titled = ctx.store.search(f"{clarified['title']} {question}", ctx.top_k * 3)
                hits = [h for h in titled if h.slug == clarified["slug"]]
            return question, hits[: ctx.top_k], None
        hits = ctx.store.search(query, ctx.top_k)
        if lang != "en" and ctx.store.has_language(lang):
            # Articles in the visitor's language answer them in it, when one fits.
            own_lang = ctx.store.search(query, ctx.top_k, lang=lang)
            if own_lang and own_lang[0].score >= ctx.answer_threshold:
                return query, own_lang, None
        if earlier and is_follow_up(query, ctx.follow_up_max_words):
            # "And how long does the refund take after that?" means little alone; with
            # the previous question's key terms (or the article last cited) it usually
            # retrieves better. Keep whichever search is the most confident.
            best_query, best = query, list[Hit]()
            options = [f"{_key_terms(earlier[-1], lang)} {query}"]
            if topic:
                options.append(f"{topic['title']} {query}")
            for option in options:
                found = ctx.store.search(option, ctx.top_k)
                if found and (not best or found[0].score > best[0].score):
                    best_query, best = option, found
            # A message that leans on the previous one is incomplete alone: its own
            # search wins only if clearly more confident.
            if best and (not hits or best[0].score + ctx.follow_up_margin >= hits[0].score):
                # The conversation's subject wins a near tie with another article.
                sticky = None
                if topic and any(
                    h.slug == topic["slug"] and h.score >= best[0].score - ctx.topic_margin
                    for h in best
                ):
                    sticky = topic["slug"]
                return best_query, best, sticky
        return query, hits, None

    def work() -> tuple[str, list[dict[str, Any]], list[Pick]]:
        search_query, hits, sticky = search()
        as_dicts = [asdict(h) for h in hits]
        threshold = 0.0 if clarified else ctx.answer_threshold
        # The previous topic finds the article; a message with words of its own
        # ("how long does the refund take after that?") picks what in it answers.
        own = len(_key_terms(query, lang).split()) >= 2
        question = query if own and not clarified else search_query
        return search_query, as_dicts, _picks(ctx, question, as_dicts, threshold, only=sticky)

    search_query, hits, picks = await asyncio.to_thread(work)
    return {
        "hits": hits,
        "picks": picks,
        "sources": _distinct_sources(hits),
        "search_query": search_query,
        "clarify": None,
    }


async def answer(state: SupportState, runtime: Runtime[SupportContext]) -> dict[str, Any]:
    """Answer with a grounded LLM answer when configured, else the best passage; streamed."""
    ctx = _ctx(runtime)
    picks = state.get("picks") or []
    pick = picks[0]
    writer = get_stream_writer()
    reply, sources = pick["passage"], [_source(pick)]
    answered_by, fallback, grounding = "extractive", None, None
    if ctx.llm is not None and ctx.llm_prompts is not None:
        passages = _llm_passages(ctx, pick, state.get("hits") or [])
        visitor = _visitor_texts(state.get("messages", []))
        facts = extract_facts(visitor)
        query = state.get("query", "")

        def prepare() -> Grounder:
            sets = _sentences_of(ctx, passages)
            return Grounder.build(
                ctx.store.embedder,
                [(s.units, s.vectors) for s in sets],
                allowed_text=" ".join(v for values in facts.values() for v in values),
                question=redact_facts(query),
                passage_texts=[f"{p['title']}. {p['text']}" for p in passages],
                system_prompt=ctx.llm_prompts.system if ctx.llm_prompts else "",
                threshold=ctx.grounding_threshold,
            )

        grounder = await asyncio.to_thread(prepare)
        followed_up = state.get("search_query", "") not in ("", redact_facts(query))
        messages = ctx.llm_prompts.messages(
            company=ctx.phrases.company,
            lang=state.get("lang", "en"),
            passages=[(p["title"], p["text"]) for p in passages],
            question=redact_facts(query),
            previous=redact_facts(visitor[-2]) if followed_up and len(visitor) > 1 else None,
        )
        generated = await generate_answer(ctx.llm, messages, grounder, writer)
        grounding = generated.grounding
        if generated.text:
            reply, answered_by = generated.text, "llm"
            sources = _distinct_sources([passages[i] for i in generated.supporting]) or sources
        else:
            fallback = generated.fallback
    if answered_by == "extractive":
        # The citation travels as structured sources (the widget and console link
        # them), so the text stays the passage alone and is not shown twice.
        _emit(reply, ctx.stream_words)
    return {
        "messages": [AIMessage(content=reply)],
        "reply": reply,
        "sources": sources,
        "topic": sources[0],
        "answered_last": True,
        "answered_by": answered_by,
        "llm_fallback": fallback,
        "grounding": grounding,
    }


async def clarify(state: SupportState, runtime: Runtime[SupportContext]) -> dict[str, Any]:
    """Ask which article the visitor means, offering their titles as quick replies."""
    ctx = _ctx(runtime)
    options = [_source(p) for p in _close_picks(state.get("picks") or [], ctx)]
    reply = ctx.phrases.get("clarify", state.get("lang", "en"))
    _emit(reply, ctx.stream_words)
    question = state.get("search_query") or redact_facts(state.get("query", ""))
    return {
        "messages": [AIMessage(content=reply)],
        "reply": reply,
        "sources": [],
        "quick_replies": [o["title"] for o in options],
        "clarify": Clarification(question=question, options=options),
        "answered_last": False,
        "answered_by": "clarify",
    }


async def smalltalk(state: SupportState, runtime: Runtime[SupportContext]) -> dict[str, Any]:
    """Reply with a fixed phrase: greetings, goodbyes, refusals, or "sorry that didn't help"."""
    ctx = _ctx(runtime)
    intent = state.get("intent", "greeting")
    name = state.get("phrase") or (intent if intent in ("greeting", "goodbye") else "greeting")
    reply = ctx.phrases.get(name, state.get("lang", "en"))
    _emit(reply, ctx.stream_words)
    return {
        "messages": [AIMessage(content=reply)],
        "reply": reply,
        "sources": [],
        # "Sorry that didn't help" keeps the unhelpful streak going; anything else ends it.
        "answered_last": name == "unhelpful" and bool(state.get("answered_last")),
        "answered_by": "phrase",
    }


async def escalate(state: SupportState, runtime: Runtime[SupportContext]) -> dict[str, Any]:
    """Tell the visitor a person is coming and prepare the handoff for the agent."""
    ctx = _ctx(runtime)
    intent = state.get("intent", "question")
    reason = state.get("escalate_reason") or "low_confidence"
    lang = state.get("lang", "en")
    offline = bool(state.get("offline"))
    # Out of hours nobody would pick the conversation up: promise a reply, not a person.
    phrase = "handoff_offline" if offline else _ESCALATION_PHRASES.get(reason, "handoff")
    reply = ctx.phrases.get(phrase, lang)
    messages = state.get("messages", [])
    visitor = _visitor_texts(messages)
    facts = extract_facts(visitor)
    sources = list(state.get("sources") or [])
    confidence = float(state.get("escalate_confidence") or state.get("confidence", 0.0))
    if reason == "low_confidence":
        # For a knowledge-base miss the useful confidence is the retrieval score.
        hits = state.get("hits") or []
        confidence = round(float(hits[0]["score"]), 4) if hits else 0.0
    history = list(state.get("history") or [])
    # The visitor hears at once that a person is coming; the note for the agent follows.
    _emit(reply, ctx.stream_words)
    note = None
    if ctx.llm is not None and ctx.llm_prompts is not None and ctx.llm_summary:
        note = await handoff_note(
            ctx.llm,
            ctx.llm_prompts,
            company=ctx.phrases.company,
            reason=reason,
            transcript=_transcript(messages, ctx),
            embedder=ctx.store.embedder,
            wait_seconds=ctx.llm_summary_timeout,
        )
    escalation = Escalation(
        reason=reason,
        intent=intent,
        confidence=confidence,
        lang=lang,
        department=state.get("department", "support"),
        summary=build_summary(
            reason=reason,
            intent=intent,
            confidence=confidence,
            lang=lang,
            visitor_messages=visitor,
            facts=facts,
            sources=[dict(s) for s in sources],
            history=history,
            prechat=list(state.get("prechat") or []),
            bot_answers=[t for t in _bot_texts(messages[:-1]) if t not in ctx.phrases.all_texts()],
            note=note,
        ),
        summary_by="llm" if note else "extractive",
        facts=facts,
        sources=sources,
        question=state.get("query", ""),
        history=history,
        offline=offline,
    )
    return {
        "messages": [AIMessage(content=reply)],
        "reply": reply,
        "escalation": escalation,
        "answered_last": False,
        "answered_by": "handoff",
    }


def _transcript(messages: Sequence[AnyMessage], ctx: SupportContext) -> list[tuple[str, str]]:
    """The conversation for the handoff note: who said what, fixed bot phrases left out."""
    fixed = ctx.phrases.all_texts()
    out: list[tuple[str, str]] = []
    for m in messages:
        if isinstance(m, HumanMessage):
            out.append(("Visitor", _text(m)))
        elif isinstance(m, AIMessage) and _text(m) not in fixed:
            out.append(("Agent" if m.name == "agent" else "Bot", _text(m)))
    return out


async def handoff(state: SupportState) -> dict[str, Any]:
    """Pause for a human (interrupt); when handed back, take in what happened meanwhile."""
    # Kept apart from `escalate`: a resumed node runs again from its start, and the
    # visitor must not see the handoff message twice.
    resume = interrupt(state.get("escalation"))
    messages: list[AnyMessage] = []
    if isinstance(resume, dict):
        # The agent's side of the conversation, so follow-ups keep their context.
        for item in resume.get("transcript") or []:
            role, content = str(item.get("role", "")), str(item.get("content", ""))
            if not content:
                continue
            if role in ("visitor", "user", "human"):
                messages.append(HumanMessage(content=content))
            else:
                messages.append(AIMessage(content=content, name="agent"))
        text = str(resume.get("text") or "")
        message_id = resume.get("message_id")
    else:
        text, message_id = (resume if isinstance(resume, str) else ""), None
    if text.strip():
        messages.append(
            HumanMessage(content=text, id=message_id) if message_id else HumanMessage(content=text)
        )
    # A fresh start with the bot: earlier unhelpful answers were the agent's to fix.
    return {
        "messages": messages,
        "escalation": None,
        "unhelpful_streak": 0,
        "answered_last": False,
        "clarify": None,
    }


# -- routers ---------------------------------------------------------------


def route_policy(state: SupportState) -> Literal["smalltalk", "escalate", "retrieve"]:
    """Escalate when the policy says so; fixed phrases for small talk; the rest retrieves."""
    if state.get("escalate_reason"):
        return "escalate"
    if state.get("phrase") or state.get("action") == "smalltalk":
        return "smalltalk"
    return "retrieve"


#: Former name of route_policy (kept for callers that import it).
route_intent = route_policy


def _close_picks(picks: Sequence[Pick], ctx: SupportContext) -> list[Pick]:
    """The first pick and the other articles that compete with it closely."""
    if not picks:
        return []
    first = picks[0]
    close = [
        p
        for p in picks[1:]
        if abs(float(p["score"]) - float(first["score"])) <= ctx.clarify_margin
        and float(first["sentence_score"]) - float(p["sentence_score"])
        <= ctx.clarify_sentence_margin
        and float(p["agreement"]) < ctx.clarify_max_agreement
    ]
    return [first, *close][: ctx.clarify_options]


def route_retrieval(
    state: SupportState, runtime: Runtime[SupportContext]
) -> Literal["answer", "clarify", "escalate"]:
    """Answer above the calibrated threshold; ask back when two articles tie; else a human."""
    picks = state.get("picks") or []
    if not picks:
        return "escalate"
    if not state.get("clarified") and len(_close_picks(picks, _ctx(runtime))) > 1:
        return "clarify"
    return "answer"


def route_after_handoff(state: SupportState) -> Literal["intake", "__end__"]:
    """Handed back with a new visitor message: process it; otherwise stop and wait."""
    messages = state.get("messages") or []
    if messages and isinstance(messages[-1], HumanMessage):
        return "intake"
    return "__end__"
