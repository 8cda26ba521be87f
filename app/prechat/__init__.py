"""The pre-chat form: per-site questions asked before a visitor's first message."""
