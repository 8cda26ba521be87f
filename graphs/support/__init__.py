"""The Parley support bot: a LangGraph state machine over the knowledge base."""
