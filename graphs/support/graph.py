"""The support graph.

intake → detect_intent → check_policy → small talk | escalate → handoff | retrieve →
answer | clarify | escalate → handoff (interrupt; resumes at intake when handed back).
"""

from __future__ import annotations

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from graphs.support.context import SupportContext
from graphs.support.nodes import (
    answer,
    check_policy,
    clarify,
    detect_intent,
    escalate,
    handoff,
    intake,
    retrieve,
    route_after_handoff,
    route_policy,
    route_retrieval,
    smalltalk,
)
from graphs.support.state import InputState, SupportState

__all__ = ["build_graph", "graph"]


def build_graph(
    checkpointer: BaseCheckpointSaver[str] | None = None,
) -> CompiledStateGraph[SupportState, SupportContext, InputState, SupportState]:
    """Compile the support graph (pass a checkpointer: escalation pauses with interrupt)."""
    builder = StateGraph(SupportState, context_schema=SupportContext, input_schema=InputState)
    builder.add_node("intake", intake)
    builder.add_node("detect_intent", detect_intent)
    builder.add_node("check_policy", check_policy)
    builder.add_node("retrieve", retrieve)
    builder.add_node("answer", answer)
    builder.add_node("clarify", clarify)
    builder.add_node("smalltalk", smalltalk)
    builder.add_node("escalate", escalate)
    builder.add_node("handoff", handoff)

    builder.add_edge(START, "intake")
    builder.add_edge("intake", "detect_intent")
    builder.add_edge("detect_intent", "check_policy")
    builder.add_conditional_edges(
        "check_policy", route_policy, ["smalltalk", "escalate", "retrieve"]
    )
    builder.add_conditional_edges("retrieve", route_retrieval, ["answer", "clarify", "escalate"])
    builder.add_edge("answer", END)
    builder.add_edge("clarify", END)
    builder.add_edge("smalltalk", END)
    builder.add_edge("escalate", "handoff")
    builder.add_conditional_edges("handoff", route_after_handoff, ["intake", END])
    return builder.compile(checkpointer=checkpointer, name="support")


#: For LangGraph Studio / `langgraph dev` (langgraph.json): the server brings its own
#: checkpointer; without a context the nodes use default_context().
graph = build_graph()
