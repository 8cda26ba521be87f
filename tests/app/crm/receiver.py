"""A real HTTP receiver for webhook tests: records every request, answers what it is told,
and can go down and come back on the same port."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.conftest import free_port


@dataclass
class Received:
    """One request the receiver got."""

    headers: dict[str, str]
    body: str
    status: int
    at: float = field(default_factory=time.monotonic)

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def json(self) -> dict[str, Any]:
        return dict(json.loads(self.body))

    @property
    def type(self) -> str:
        return str(self.json["type"])


def verify(secret: str, r: Received) -> bool:
    """The documented recipe (docs/webhooks.md), written out by hand."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{r.headers['webhook-id']}.{r.headers['webhook-timestamp']}.{r.body}".encode()
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(sig.split(",", 1)[1], expected)
        for sig in r.headers["webhook-signature"].split()
        if sig.startswith("v1,")
    )


class Receiver:
    """``status_for(received_so_far_for_this_id) -> HTTP status``; 200 by default."""

    def __init__(self) -> None:
        self.port = free_port()
        self.records: list[Received] = []
        self.lock = threading.Lock()
        self.status_for: Callable[[Received, int], int] = lambda r, n: 200
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                rec = Received(headers, body, 0)
                with receiver.lock:
                    seen = sum(1 for r in receiver.records if r.id == rec.id)
                    rec.status = receiver.status_for(rec, seen)
                    receiver.records.append(rec)
                self.send_response(rec.status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def of(self, conversation_id: int | None = None, type_: str | None = None) -> list[Received]:
        """What arrived (every attempt), optionally for one conversation or type."""
        with self.lock:
            out = list(self.records)

        def conv(r: Received) -> int | None:
            data = r.json["data"]
            return data.get("conversation_id") or (data.get("conversation") or {}).get("id")

        if conversation_id is not None:
            out = [r for r in out if conv(r) == conversation_id]
        if type_ is not None:
            out = [r for r in out if r.type == type_]
        return out
