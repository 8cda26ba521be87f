"""The eval API: a support lead runs the demo suite with a draft in place and sees the report."""

from __future__ import annotations

import httpx
import pytest

from app.agents.models import Role
from app.agents.service import ensure_agent
from app.events.service import unit_of_work
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Backend, RunningServer


async def login(client: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    """Bearer header of a signed-in agent."""
    r = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_a_lead_runs_the_demo_suite_against_a_draft(
    backend: Backend, server: RunningServer
) -> None:
    if backend.name != "sqlite+inprocess":
        # The eval API reads articles through the KB repository (tested on both
        # backends there); one CPU-heavy eval run per test session is enough.
        pytest.skip("runs on the SQLite backend only")
    async with unit_of_work() as s:
        await ensure_agent(
            s, f"evals-agent-{server.settings.port}@example.com", "A", "pw-123456", Role.agent
        )
    async with server.client() as api:
        admin = await login(api, ADMIN_EMAIL, ADMIN_PASSWORD)
        agent = await login(api, f"evals-agent-{server.settings.port}@example.com", "pw-123456")

        assert (await api.get("/api/v1/evals/suites")).status_code == 401
        assert (await api.get("/api/v1/evals/suites", headers=agent)).status_code == 403
        listed = await api.get("/api/v1/evals/suites", headers=admin)
        assert listed.status_code == 200
        demo = {s["name"]: s for s in listed.json()}["demo"]
        assert demo["cases"] >= 150 and demo["conversations"] >= 20

        missing = await api.post("/api/v1/evals/runs", json={"suite": "nope"}, headers=admin)
        assert missing.status_code == 404 and missing.json()["error"] == "NotFound"
        bad = await api.post("/api/v1/evals/runs", json={"suite": "../etc"}, headers=admin)
        assert bad.status_code == 422

        # A draft edit: the warranty article loses its frame warranty period.
        articles = (
            await api.get("/api/v1/kb/articles", params={"q": "warranty"}, headers=admin)
        ).json()
        items = articles["items"] if isinstance(articles, dict) else articles
        warranty = next(a for a in items if a["slug"] == "warranty")
        detail = (await api.get(f"/api/v1/kb/articles/{warranty['id']}", headers=admin)).json()
        edited = detail["body"].replace("**Frames and rigid forks:** 5 years.", "")
        assert edited != detail["body"]
        patched = await api.patch(
            f"/api/v1/kb/articles/{warranty['id']}", json={"body": edited}, headers=admin
        )
        assert patched.status_code == 200, patched.text

        run = await api.post(
            "/api/v1/evals/runs", json={"suite": "demo", "quick": True}, headers=admin, timeout=600
        )
        assert run.status_code == 200, run.text
        report = run.json()
        assert {"id", "metrics", "cases", "meta"} <= set(report)
        # Other tests share this server and may leave drafts of their own.
        assert "warranty" in report["meta"]["drafts"]
        assert report["meta"]["quick"] is True
        assert 0 < report["metrics"]["pass_rate"] <= 1

        page = await api.get(f"/api/v1/evals/runs/{report['id']}/report.html", headers=admin)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert "Parley eval" in page.text and "<svg" in page.text
        gone = await api.get("/api/v1/evals/runs/unknown/report.html", headers=admin)
        assert gone.status_code == 404
