"""Proactive triggers: per-site rules that let the widget start a conversation, and their stats."""
