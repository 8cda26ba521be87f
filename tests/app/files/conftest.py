"""Attachments tests use the webhook fixtures too (the closing transcript carries files)."""

from tests.app.crm.conftest import fast_webhooks, receiver, subscription

__all__ = ["fast_webhooks", "receiver", "subscription"]
