"""The eval API: runs in the background with progress, kept in the database, judged
against thresholds and a baseline, and never left "running" by a dead process."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from app.agents.models import Role
from app.db import utcnow
from app.evals import worker as eval_worker
from app.evals.models import EvalRun, RunStatus
from app.events.service import unit_of_work
from tests.app.articles.conftest import signed_in
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, RunningServer

SMALL = Path(__file__).resolve().parent / "data"  # 7 single-turn cases, 2 conversations


async def login(client: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    """Bearer header of a signed-in agent."""
    r = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture
def small_suite(server: RunningServer) -> Iterator[str]:
    """The small test suite offered next to the bundled ones (PARLEY_EVAL_SUITE_DIRS)."""
    before = server.settings.eval_suite_dirs
    server.settings.eval_suite_dirs = str(SMALL)
    try:
        yield "small"
    finally:
        server.settings.eval_suite_dirs = before


@pytest_asyncio.fixture(loop_scope="session")
async def api(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the server."""
    async with server.client() as client:
        yield client


@pytest_asyncio.fixture(loop_scope="session")
async def admin(api: httpx.AsyncClient) -> dict[str, str]:
    """Headers of the seeded admin (a lead's rights)."""
    return await login(api, ADMIN_EMAIL, ADMIN_PASSWORD)


async def wait_done(
    api: httpx.AsyncClient, run_id: str, headers: dict[str, str], seen: list[dict[str, Any]]
) -> dict[str, Any]:
    """Poll a run until it finishes, keeping every state seen."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        r = await api.get(f"/api/v1/evals/runs/{run_id}", headers=headers)
        assert r.status_code == 200, r.text
        run = r.json()
        seen.append(run)
        if run["status"] in ("done", "failed"):
            return run
        await asyncio.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish: {seen[-1]}")


async def start(api: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    """POST a run (retrying while another test's run holds the slot)."""
    for _ in range(600):
        r = await api.post("/api/v1/evals/runs", json=body, headers=headers)
        if r.status_code != 409:
            assert r.status_code == 202, r.text
            return dict(r.json())
        await asyncio.sleep(0.5)
    raise AssertionError("the eval slot never freed")


async def test_a_lead_runs_a_suite_in_the_background_and_the_report_is_kept(
    server: RunningServer, api: httpx.AsyncClient, admin: dict[str, str], small_suite: str
) -> None:
    agent = await signed_in(server, Role.agent)
    listed = await api.get("/api/v1/evals/suites", headers=admin)
    assert listed.status_code == 200
    suites = {s["name"]: s for s in listed.json()}
    assert suites["small"] == {"name": "small", "cases": 7, "conversations": 2}
    assert suites["demo"]["cases"] >= 150 and suites["demo"]["conversations"] >= 20

    run = await start(api, admin, suite=small_suite, include_drafts=False, quick=False)
    assert run["status"] == "queued" and run["suite"] == "small" and not run["include_drafts"]
    # One run at a time per process: a second one is refused while the first runs.
    again = await api.post("/api/v1/evals/runs", json={"suite": "small"}, headers=admin)
    assert again.status_code == 409, again.text
    assert again.json()["error"] == "Conflict"
    assert "already in progress" in again.json()["detail"]

    seen: list[dict[str, Any]] = []
    done = await wait_done(api, run["id"], admin, seen)
    assert done["status"] == "done", done["error"]
    progress = [s["done"] for s in seen]
    assert progress == sorted(progress), "progress never goes back"
    assert {s["status"] for s in seen} <= {"queued", "running", "done"}
    assert done["done"] == done["total"] == 9
    assert 0 < done["pass_rate"] < 1 and done["cases_failed"] >= 1
    assert done["started_by"] == "Ada Admin" and done["finished_at"]

    # Metrics, the gate (the thresholds file; no baseline yet), the failing cases.
    metrics = {m["name"]: m for m in done["metrics"]}
    assert metrics["pass_rate"]["value"] == done["pass_rate"]
    assert metrics["pass_rate"]["floor"] == 0.55
    assert done["gate"]["thresholds"] == "evals/thresholds.yaml"
    assert done["gate"]["passed"] == done["gate_passed"]
    failures = {f["id"]: f for f in done["failures"]}
    assert len(failures) == done["cases_failed"] == done["failures_total"]
    wrong = failures["markup-fails"]
    assert wrong["expected"] == "smalltalk" and wrong["why"].startswith("expected smalltalk")
    assert wrong["text"].startswith("<b>bold</b>")

    # Listed first, with who and on what.
    runs = (await api.get("/api/v1/evals/runs", headers=admin)).json()
    assert runs["items"][0]["id"] == run["id"] and runs["running_id"] is None
    assert runs["items"][0]["gate_passed"] == done["gate_passed"]

    # The reports come from the database.
    saved = await api.get(f"/api/v1/evals/runs/{run['id']}/report.json", headers=admin)
    assert saved.status_code == 200 and "attachment" in saved.headers["content-disposition"]
    assert {c["id"] for c in saved.json()["cases"]} >= {"refund", "billing", "markup-fails"}
    page = await api.get(f"/api/v1/evals/runs/{run['id']}/report.html", headers=admin)
    assert page.status_code == 200 and "<svg" in page.text
    assert "frame-ancestors 'self'" in page.headers["content-security-policy"]
    # An iframe sends no Authorization header: the detail's link carries a ticket.
    framed = await api.get(done["report_url"])
    assert framed.status_code == 200 and "Parley eval" in framed.text
    other = await api.get(f"/api/v1/evals/runs/{uuid.uuid4().hex}/report.html" + "?ticket=x")
    assert other.status_code == 401
    forged = done["report_url"].replace(run["id"], uuid.uuid4().hex, 1)
    assert (await api.get(forged)).status_code == 401  # a ticket opens its own run only

    # Agents see none of it; strangers are asked to sign in; unknown ids are 404.
    for method, path in (
        ("GET", "/api/v1/evals/suites"),
        ("GET", "/api/v1/evals/runs"),
        ("POST", "/api/v1/evals/runs"),
        ("GET", f"/api/v1/evals/runs/{run['id']}"),
        ("GET", f"/api/v1/evals/runs/{run['id']}/report.html"),
        ("POST", f"/api/v1/evals/runs/{run['id']}/baseline"),
    ):
        r = await api.request(method, path, headers=agent, json={} if method == "POST" else None)
        assert r.status_code == 403, (method, path, r.text)
        assert (await api.request(method, path)).status_code == 401
    for path in ("", "/report.html", "/report.json"):
        missing = await api.get(f"/api/v1/evals/runs/{uuid.uuid4().hex}{path}", headers=admin)
        assert missing.status_code == 404 and missing.json()["error"] == "NotFound"
    nope = await api.post("/api/v1/evals/runs", json={"suite": "nope"}, headers=admin)
    assert nope.status_code == 404
    bad = await api.post("/api/v1/evals/runs", json={"suite": "../etc"}, headers=admin)
    assert bad.status_code == 422


async def test_later_runs_show_deltas_against_the_baseline_and_the_gate(
    server: RunningServer, api: httpx.AsyncClient, admin: dict[str, str], small_suite: str
) -> None:
    first = await start(api, admin, suite=small_suite, include_drafts=False, quick=False)
    base = await wait_done(api, first["id"], admin, [])
    assert base["status"] == "done"
    marked = await api.post(f"/api/v1/evals/runs/{first['id']}/baseline", headers=admin)
    assert marked.status_code == 200 and marked.json()["is_baseline"] is True

    # A draft loses the frame warranty period: the "frame" case cannot pass with it.
    found = (await api.get("/api/v1/kb/articles", params={"q": "warranty"}, headers=admin)).json()
    items = found["items"] if isinstance(found, dict) else found
    warranty = next(a for a in items if a["slug"] == "warranty")
    article = (await api.get(f"/api/v1/kb/articles/{warranty['id']}", headers=admin)).json()
    edited = article["body"].replace("**Frames and rigid forks:** 5 years.", "")
    assert edited != article["body"]
    r = await api.patch(
        f"/api/v1/kb/articles/{warranty['id']}", json={"body": edited}, headers=admin
    )
    assert r.status_code == 200, r.text
    try:
        second = await start(api, admin, suite=small_suite, include_drafts=True, quick=False)
        assert "warranty" in second["drafts"]
        run = await wait_done(api, second["id"], admin, [])
    finally:
        await api.patch(
            f"/api/v1/kb/articles/{warranty['id']}", json={"body": article["body"]}, headers=admin
        )
    assert run["status"] == "done", run["error"]
    assert run["baseline_id"] == first["id"] and run["baseline"]["id"] == first["id"]
    rate = {m["name"]: m for m in run["metrics"]}["pass_rate"]
    assert rate["baseline"] == base["pass_rate"]
    assert rate["delta"] == pytest.approx(run["pass_rate"] - base["pass_rate"])
    assert rate["delta"] < 0 and rate["change"] == "worse" and rate["regression"]
    assert run["gate"]["passed"] is False and run["gate_passed"] is False
    assert "frame" in run["gate"]["newly_failing"]
    assert any(
        m.startswith("Cases passed: ") and "in the baseline" in m for m in run["gate"]["failed"]
    )
    assert "frame" in {f["id"] for f in run["failures"]}

    # One baseline per suite and mode: marking another unmarks the first.
    await api.post(f"/api/v1/evals/runs/{second['id']}/baseline", headers=admin)
    items = {
        r["id"]: r for r in (await api.get("/api/v1/evals/runs", headers=admin)).json()["items"]
    }
    assert items[second["id"]]["is_baseline"] and not items[first["id"]]["is_baseline"]
    off = await api.delete(f"/api/v1/evals/runs/{second['id']}/baseline", headers=admin)
    assert off.status_code == 200 and off.json()["is_baseline"] is False


async def test_runs_left_by_a_dead_process_are_marked_failed(
    server: RunningServer, api: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    now = utcnow()
    dead, recent = uuid.uuid4().hex, uuid.uuid4().hex
    async with unit_of_work() as s:
        # The process that ran these is gone: one stopped beating a minute ago, the
        # other a moment ago (a restart faster than the staleness window).
        s.add(
            EvalRun(
                id=dead,
                suite="demo",
                status=RunStatus.running,
                owner="gone",
                heartbeat_at=now - timedelta(minutes=1),
                started_by="Ada Admin",
            )
        )
        s.add(
            EvalRun(
                id=recent,
                suite="demo",
                status=RunStatus.queued,
                owner="gone",
                heartbeat_at=now,
                started_by="Ada Admin",
            )
        )

    # With other instances possibly alive, only a stale heartbeat proves death...
    assert await eval_worker.EvalWorker(only_process=False).recover() == 1
    status = {
        r["id"]: r for r in (await api.get("/api/v1/evals/runs", headers=admin)).json()["items"]
    }
    assert status[dead]["status"] == "failed" and "stopped during this run" in status[dead]["error"]
    assert status[recent]["status"] == "queued"
    # ...when it is the only process (no Redis), every earlier run is over at start-up.
    assert await eval_worker.EvalWorker(only_process=True).recover() == 1
    r = (await api.get(f"/api/v1/evals/runs/{recent}", headers=admin)).json()
    assert r["status"] == "failed" and r["error"] == eval_worker.INTERRUPTED


async def test_a_run_cut_short_by_shutdown_is_recorded_as_failed(
    server: RunningServer, api: httpx.AsyncClient, admin: dict[str, str], small_suite: str
) -> None:
    run = await start(api, admin, suite=small_suite, include_drafts=False, quick=False)
    worker = eval_worker.get_worker()
    assert worker is not None and worker.current == run["id"]
    await worker.stop()  # what the app's lifespan does at shutdown
    r = (await api.get(f"/api/v1/evals/runs/{run['id']}", headers=admin)).json()
    assert r["status"] == "failed" and r["error"] == eval_worker.SHUT_DOWN
    assert worker.current is None  # the slot is free again
