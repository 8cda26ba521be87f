"""Read receipts: how far the visitor and the agents have read a conversation."""
