"""The support graph: intake → intent → (small talk | retrieve → answer | escalate → handoff)."""

from __future__ import annotations

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from graphs.support.context import SupportContext
from graphs.support.nodes import (
    answer,
    detect_intent,
    escalate,
    handoff,
    intake,
    retrieve,
    route_after_handoff,
    route_intent,
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
    builder.add_node("retrieve", retrieve)
    builder.add_node("answer", answer)
    builder.add_node("smalltalk", smalltalk)
    builder.add_node("escalate", escalate)
    builder.add_node("handoff", handoff)

    builder.add_edge(START, "intake")
    builder.add_edge("intake", "detect_intent")
    builder.add_conditional_edges(
        "detect_intent", route_intent, ["smalltalk", "escalate", "retrieve"]
    )
    builder.add_conditional_edges("retrieve", route_retrieval, ["answer", "escalate"])
    builder.add_edge("answer", END)
    builder.add_edge("smalltalk", END)
    builder.add_edge("escalate", "handoff")
    builder.add_conditional_edges("handoff", route_after_handoff, ["intake", END])
    return builder.compile(checkpointer=checkpointer, name="support")


#: For LangGraph Studio / `langgraph dev` (langgraph.json): the server brings its own
#: checkpointer; without a context the nodes use default_context().
graph = build_graph()
