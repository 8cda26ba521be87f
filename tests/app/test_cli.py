"""The `parley` CLI as an operator uses it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import prime_kb

PARLEY = str(Path(sys.executable).parent / "parley")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    data = tmp_path_factory.mktemp("cli-data")
    prime_kb(data, tmp_path_factory.getbasetemp())
    env = {
        **os.environ,
        "PARLEY_DATA_DIR": str(data),
        "PARLEY_DATABASE_URL": "",
        "PARLEY_ADMIN_PASSWORD": "",
    }
    first = subprocess.run(
        [PARLEY, "seed"], env=env, capture_output=True, text=True, timeout=300, check=True
    )
    env["FIRST_OUTPUT"] = first.stdout
    return env


def test_first_seed_prints_the_admin_password_once(seeded: dict[str, str]) -> None:
    assert "Password:" in seeded["FIRST_OUTPUT"]
    assert "articles indexed" in seeded["FIRST_OUTPUT"]
    again = subprocess.run(
        [PARLEY, "seed"], env=seeded, capture_output=True, text=True, timeout=300, check=True
    )
    assert "Password:" not in again.stdout


def test_chat_json_answers_from_the_knowledge_base(seeded: dict[str, str]) -> None:
    out = subprocess.run(
        [PARLEY, "chat", "--json", "how long does a refund take?"],
        env=seeded,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result = json.loads(out.stdout)
    assert set(result) == {"reply", "intent", "confidence", "sources", "escalated", "reason"}
    assert result["escalated"] is False
    assert "returns-and-refunds" in result["sources"]
    assert result["reply"]


def test_chat_json_escalates_a_human_request(seeded: dict[str, str]) -> None:
    out = subprocess.run(
        [PARLEY, "chat", "--json", "I want to speak to a real person"],
        env=seeded,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result = json.loads(out.stdout)
    assert result["escalated"] is True and result["reason"] == "human_request"


def test_every_command_has_help() -> None:
    for cmd in ([], ["serve"], ["seed"], ["chat"], ["migrate"]):
        out = subprocess.run([PARLEY, *cmd, "--help"], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0 and "Usage" in out.stdout
