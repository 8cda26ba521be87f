"""Sends the outbox: claims due deliveries, retries with back-off, dead-letters, in order.

- **Claim**: one short transaction marks due rows as taken (``attempts + 1`` and a lease
  in ``next_attempt_at``). On PostgreSQL the claim uses ``FOR UPDATE SKIP LOCKED``, so any
  number of workers and app instances share the outbox; on SQLite (one process) a lock
  makes this worker the single claimer.
- **Order**: a delivery is due only when no earlier delivery of the same subscription
  and ordering key (the conversation, the contact) is still pending.
- **Retry**: a failed attempt is retried after an exponential back-off with jitter;
  after ``webhook_max_attempts`` it is dead (the console replays it by hand).
- **Crash**: a process that dies mid-attempt leaves the row pending with its lease; it
  is retried when the lease runs out, with the same webhook-id (at-least-once).

Retries are scheduled in the database (``next_attempt_at``), not by an in-process retry
library (tenacity, backoff): a retry must survive a restart and run on any instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import delete, update
from sqlmodel import col

from app.config import Settings
from app.crm import repository as repo
from app.crm.connector import DeliveryResult, OutgoingEvent, connector_for
from app.crm.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookSubscription
from app.db import utcnow
from app.events.service import unit_of_work

log = logging.getLogger(__name__)


def backoff_seconds(
    attempt: int, base: float, cap: float, rand: random.Random | None = None
) -> float:
    """Delay before the next try after ``attempt`` failed tries: exponential, capped, with
    "equal jitter" (half fixed, half random) so receivers recovering from an outage are
    not hit by every sender at once."""
    delay = min(cap, base * (2 ** max(0, attempt - 1)))
    r = rand or random
    return delay / 2 + r.uniform(0, delay / 2)


class WebhookWorker:
    """The outbox's delivery loop (an asyncio task in the app's lifespan)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._claim_lock = asyncio.Lock()
        self._client: httpx.AsyncClient | None = None
        self._lease = timedelta(seconds=settings.webhook_timeout_seconds * 2 + 30)

    async def start(self) -> None:
        """Start the loop (pending deliveries of a previous life are picked up as due)."""
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(self.settings.webhook_timeout_seconds, connect=5.0),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=10),
        )
        self._task = asyncio.create_task(self._loop())
        self.wake()

    def wake(self) -> None:
        """Deliveries were committed: look now rather than at the next poll."""
        self._wake.set()

    async def stop(self) -> None:
        """Cancel the loop; an attempt in flight is retried after its lease."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def purge_log(self, now: datetime | None = None) -> int:
        """Forget delivered deliveries older than ``webhook_log_days`` (dead ones stay for
        a replay until someone deals with them)."""
        cutoff = (now or utcnow()) - timedelta(days=self.settings.webhook_log_days)
        async with unit_of_work() as s:
            result: Any = await s.exec(
                delete(WebhookDelivery)
                .where(col(WebhookDelivery.status) == DeliveryStatus.delivered)
                .where(col(WebhookDelivery.delivered_at) < cutoff)
            )
        return int(result.rowcount or 0)

    async def _loop(self) -> None:
        last_purge = 0.0
        while True:
            if time.monotonic() - last_purge > 3600:
                last_purge = time.monotonic()
                try:
                    await self.purge_log()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("webhook log purge failed")
            try:
                claimed = await self._claim()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook claim failed")
                claimed = []
            if not claimed:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.settings.webhook_poll_seconds)
                continue
            await asyncio.gather(*(self._attempt(d, s) for d, s in claimed))

    async def run_once(self) -> int:
        """Claim and attempt one batch (tests, CLI); returns how many were attempted."""
        claimed = await self._claim()
        await asyncio.gather(*(self._attempt(d, s) for d, s in claimed))
        return len(claimed)

    async def _claim(self) -> Sequence[tuple[WebhookDelivery, WebhookSubscription]]:
        is_pg = self.settings.is_postgres
        async with self._claim_lock, unit_of_work() as s:
            now = utcnow()
            rows = await repo.claim_due(s, now, self.settings.webhook_workers, lock=is_pg)
            out = []
            for d in rows:
                sub = await s.get(WebhookSubscription, d.subscription_id)
                if sub is None:
                    continue
                d.attempts += 1
                d.next_attempt_at = now + self._lease
                d.last_attempt_at = now
                s.add(d)
                out.append((d, sub))
            await s.flush()
        # Sessions do not expire on commit: the rows stay readable, detached, while the
        # attempt runs outside the claim's transaction.
        return out

    async def _attempt(self, d: WebhookDelivery, sub: WebhookSubscription) -> None:
        assert self._client is not None and d.id is not None
        event = OutgoingEvent(d.delivery_id, d.event_type, d.payload, d.attempts, d.created_at)
        try:
            result = await connector_for(sub, self._client).deliver(event)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a connector bug must not kill the loop
            log.exception("webhook connector failed")
            result = DeliveryResult(False, None, f"{type(exc).__name__}: {exc}"[:500])
        try:
            await self._finish(d, result)
        except asyncio.CancelledError:
            raise
        except Exception:  # e.g. the database is briefly away: the lease retries it
            log.exception("recording webhook attempt %s failed", d.delivery_id)

    async def _finish(self, d: WebhookDelivery, result: DeliveryResult) -> None:
        now = utcnow()
        values: dict[str, object] = {
            "last_status_code": result.status_code,
            "last_error": (result.error or None) and result.error[:500],
            "last_duration_ms": result.duration_ms,
        }
        if result.ok:
            values |= {"status": DeliveryStatus.delivered, "delivered_at": now}
        elif d.attempts >= self.settings.webhook_max_attempts:
            values |= {"status": DeliveryStatus.dead}
            log.warning("webhook %s dead after %s attempts", d.delivery_id, d.attempts)
        else:
            delay = backoff_seconds(
                d.attempts,
                self.settings.webhook_backoff_seconds,
                self.settings.webhook_backoff_max_seconds,
            )
            values |= {"next_attempt_at": now + timedelta(seconds=delay)}
        async with unit_of_work() as s:
            updated: Any = await s.exec(
                update(WebhookDelivery)
                .where(col(WebhookDelivery.id) == d.id)
                .where(col(WebhookDelivery.status) == DeliveryStatus.pending)
                .values(**values)
            )
            if updated.rowcount != 1:
                return  # erased or replayed meanwhile: nothing left to log against
            assert d.id is not None
            s.add(
                WebhookAttempt(
                    delivery_pk=d.id,
                    attempt=d.attempts,
                    at=now,
                    status_code=result.status_code,
                    error=result.error,
                    duration_ms=result.duration_ms,
                )
            )
        if result.ok:
            self.wake()  # the next delivery of the same conversation may be due now


_worker: WebhookWorker | None = None


async def start_webhooks(settings: Settings) -> WebhookWorker | None:
    """Start the process's delivery worker (app lifespan)."""
    global _worker
    if not settings.webhooks_enabled:
        return None
    _worker = WebhookWorker(settings)
    await _worker.start()
    return _worker


async def stop_webhooks() -> None:
    """Stop the process's delivery worker."""
    global _worker
    if _worker is not None:
        await _worker.stop()
    _worker = None


def wake_webhooks() -> None:
    """Nudge the worker after deliveries were committed."""
    if _worker is not None:
        _worker.wake()
