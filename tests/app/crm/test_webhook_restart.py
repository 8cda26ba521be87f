"""Deliveries pending when the server dies are sent, with the same ids, after a restart."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.app.crm.receiver import Receiver, verify
from tests.app.test_durability import PARLEY, _serve
from tests.conftest import PG_ADMIN_URL, _create_pg_database, _drop_pg_database, free_port


@pytest.mark.parametrize("db", ["sqlite", "postgres"])
def test_pending_deliveries_survive_a_crash_and_go_out_after_restart(
    db: str, tmp_path: Path
) -> None:
    pg_name = _create_pg_database() if db == "postgres" else None
    port = free_port()
    password = uuid.uuid4().hex
    env = {
        **os.environ,
        "PARLEY_DATA_DIR": str(tmp_path),
        "PARLEY_SECRET_KEY": uuid.uuid4().hex,
        "PARLEY_ADMIN_EMAIL": "admin@example.com",
        "PARLEY_ADMIN_PASSWORD": password,
        "PARLEY_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "PARLEY_RATE_LIMITS": "false",
        "PARLEY_BOT_ENABLED": "false",
        "PARLEY_WEBHOOK_BACKOFF_SECONDS": "0.2",
        "PARLEY_WEBHOOK_BACKOFF_MAX_SECONDS": "0.5",
        "PARLEY_WEBHOOK_POLL_SECONDS": "0.2",
        "PARLEY_DATABASE_URL": f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{pg_name}" if pg_name else "",
    }
    receiver = Receiver()  # not listening yet: the CRM is down
    origin = f"http://127.0.0.1:{port}"
    try:
        subprocess.run(
            [PARLEY, "seed", "--no-kb"], env=env, check=True, capture_output=True, timeout=300
        )
        proc = _serve(env, port)
        try:
            token = httpx.post(
                f"{origin}/api/v1/auth/login",
                json={"email": "admin@example.com", "password": password},
            ).json()["access_token"]
            admin = {"Authorization": f"Bearer {token}"}
            (site,) = httpx.get(f"{origin}/api/v1/sites", headers=admin).json()
            sub = httpx.post(
                f"{origin}/api/v1/webhooks/subscriptions",
                headers=admin,
                json={"site_id": site["id"], "url": receiver.url},
            ).json()
            s = httpx.post(
                f"{origin}/api/v1/widget/session",
                headers={"Origin": origin},
                json={"site_key": "pk_demo"},
            ).json()
            visitor = {"Origin": origin, "Authorization": f"Bearer {s['token']}"}
            for text in ("before the crash", "and another"):
                r = httpx.post(
                    f"{origin}/api/v1/widget/messages",
                    headers=visitor,
                    json={"client_message_id": uuid.uuid4().hex, "text": text},
                )
                assert r.status_code == 201
            deadline = time.monotonic() + 30
            rows: list[dict[str, object]] = []
            while time.monotonic() < deadline:
                rows = httpx.get(f"{origin}/api/v1/webhooks/deliveries", headers=admin).json()[
                    "items"
                ]
                if len(rows) >= 3 and any(int(str(r["attempts"])) >= 1 for r in rows):
                    break
                time.sleep(0.2)
            assert len(rows) == 3 and all(r["status"] == "pending" for r in rows)
            pending = {str(r["delivery_id"]) for r in rows}
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()

        receiver.start()  # the CRM is back; so is Parley
        proc = _serve(env, port)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if pending <= {r.id for r in receiver.of() if r.status == 200}:
                    break
                time.sleep(0.2)
            got = {r.id for r in receiver.of() if r.status == 200}
            assert pending <= got, "a pending delivery was lost across the restart"
            assert all(verify(sub["secret"], r) for r in receiver.of())
            texts = [
                r.json["data"]["message"]["text"]
                for r in receiver.of()
                if r.type == "message.created"
            ]
            assert texts == ["before the crash", "and another"], "in order, once each"
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    finally:
        receiver.stop()
        if pg_name:
            _drop_pg_database(pg_name)
