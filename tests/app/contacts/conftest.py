"""Contacts tests use the webhook fixtures too (erasure covers the outbox)."""

from tests.app.crm.conftest import fast_webhooks, receiver, subscription

__all__ = ["fast_webhooks", "receiver", "subscription"]
