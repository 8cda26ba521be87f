"""Routing: rules that pick a team, priority, labels or an agent; assignment and the queue."""
