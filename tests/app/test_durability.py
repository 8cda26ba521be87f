"""An accepted visitor message is answered even if the server dies before the bot runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.conftest import (
    PG_ADMIN_URL,
    _create_pg_database,
    _drop_pg_database,
    free_port,
    prime_kb,
)

PARLEY = str(Path(sys.executable).parent / "parley")


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [PARLEY, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "server died")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start")


@pytest.mark.parametrize("db", ["sqlite", "postgres"])
def test_message_accepted_before_a_crash_is_answered_after_restart(db: str, tmp_path: Path) -> None:
    pg_name = _create_pg_database() if db == "postgres" else None
    port = free_port()
    env = {
        **os.environ,
        "PARLEY_DATA_DIR": str(tmp_path),
        "PARLEY_SECRET_KEY": uuid.uuid4().hex,
        "PARLEY_ADMIN_PASSWORD": "irrelevant-here",
        "PARLEY_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "PARLEY_RATE_LIMITS": "false",
        "PARLEY_DATABASE_URL": f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{pg_name}" if pg_name else "",
    }
    prime_kb(tmp_path, tmp_path.parent)
    try:
        subprocess.run([PARLEY, "seed"], env=env, check=True, capture_output=True, timeout=300)
        origin = f"http://127.0.0.1:{port}"
        # First life: the bot is not running (as if it crashed before answering).
        proc = _serve({**env, "PARLEY_BOT_ENABLED": "false"}, port)
        try:
            s = httpx.post(
                f"{origin}/api/v1/widget/session",
                headers={"Origin": origin},
                json={"site_key": "pk_demo"},
            ).json()
            headers = {"Origin": origin, "Authorization": f"Bearer {s['token']}"}
            r = httpx.post(
                f"{origin}/api/v1/widget/messages",
                headers=headers,
                json={"client_message_id": "before-crash", "text": "Do you offer financing?"},
            )
            assert r.status_code == 201
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        # Second life: the worker finds the pending job and answers it.
        proc = _serve(env, port)
        try:
            deadline = time.monotonic() + 60
            bot: list[dict[str, object]] = []
            while time.monotonic() < deadline and not bot:
                convo = httpx.get(f"{origin}/api/v1/widget/conversation", headers=headers).json()
                bot = [m for m in convo["messages"] if m["sender"] == "bot"]
                time.sleep(0.5)
            assert bot, "the accepted message was never answered"
            assert len([m for m in convo["messages"] if m["sender"] == "visitor"]) == 1
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    finally:
        if pg_name:
            _drop_pg_database(pg_name)
