"""A raw asyncio SSE client: one small Protocol per stream, so 10k streams stay cheap.

It writes one HTTP/1.1 GET, parses the status line and headers, then either just counts
bytes (idle streams) or de-chunks the body and hands SSE events to a callback.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from bench.server import HOST

# (event type, data, arrival time on the monotonic clock)
OnEvent = Callable[[str, str, float], None]


def stream_request(port: int, token: str, origin: str, last_event_id: int | None = None) -> bytes:
    """The GET the widget sends for its live stream (token in the header, never the URL)."""
    lines = [
        "GET /api/v1/widget/stream HTTP/1.1",
        f"Host: {HOST}:{port}",
        f"Authorization: Bearer {token}",
        f"Origin: {origin}",
        "Accept: text/event-stream",
        "Cache-Control: no-cache",
    ]
    if last_event_id is not None:
        lines.append(f"Last-Event-ID: {last_event_id}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class SSEStream(asyncio.Protocol):
    """One SSE connection. ``ready`` resolves with the HTTP status once headers are in."""

    __slots__ = (
        "request",
        "on_event",
        "transport",
        "ready",
        "status",
        "content_type",
        "open",
        "bytes",
        "_head",
        "_chunked",
        "_raw",
        "_need",
        "_skip",
        "_text",
    )

    def __init__(self, request: bytes, ready: asyncio.Future[int], on_event: OnEvent | None = None):
        self.request = request
        self.on_event = on_event
        self.transport: asyncio.Transport | None = None
        self.ready = ready
        self.status = 0
        self.content_type = b""
        self.open = False
        self.bytes = 0
        self._head = b""
        self._chunked = False
        self._raw = b""
        self._need = 0  # data bytes left in the current chunk; 0: a size line comes next
        self._skip = 0  # CRLF bytes still to skip after a chunk's data
        self._text = b""

    # -- asyncio.Protocol -------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave as one.
        self.transport = transport  # type: ignore[assignment]
        self.open = True
        self.transport.write(self.request)  # type: ignore[union-attr]

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        if not self.ready.done():
            self.ready.set_exception(exc or ConnectionResetError("closed before headers"))

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        if not self.ready.done():
            self._head += data
            end = self._head.find(b"\r\n\r\n")
            if end < 0:
                if len(self._head) > 65536 and self.transport is not None:
                    self.transport.close()
                return
            head, data = self._head[:end], self._head[end + 4 :]
            self._head = b""
            lines = head.split(b"\r\n")
            try:
                self.status = int(lines[0].split(b" ", 2)[1])
            except (IndexError, ValueError):
                self.status = -1
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-type":
                    self.content_type = value.strip()
                elif name == b"transfer-encoding":
                    self._chunked = b"chunked" in value.lower()
            self.ready.set_result(self.status)
            if not data:
                return
        self.bytes += len(data)
        if self.on_event is not None:
            self._feed(data, now)

    # -- body parsing (only for streams that watch events) -------------------------------------
    def _feed(self, data: bytes, now: float) -> None:
        if not self._chunked:
            self._sse(data, now)
            return
        buf = self._raw + data
        out = []
        i, n = 0, len(buf)
        while i < n:
            if self._skip:  # the CRLF after a chunk's data (it may straddle reads)
                k = min(self._skip, n - i)
                i += k
                self._skip -= k
                continue
            if self._need == 0:  # a chunk-size line
                eol = buf.find(b"\r\n", i)
                if eol < 0:
                    break
                size = int(buf[i:eol].split(b";", 1)[0].strip() or b"0", 16)
                i = eol + 2
                if size == 0:  # last chunk: the server ended the stream
                    i = n
                    break
                self._need = size
                continue
            take = min(self._need, n - i)
            out.append(buf[i : i + take])
            i += take
            self._need -= take
            if self._need == 0:
                self._skip = 2
        self._raw = buf[i:]
        if out:
            self._sse(b"".join(out), now)

    def _sse(self, data: bytes, now: float) -> None:
        text = self._text + data
        if b"\r" in text:
            # A CR at the very end may be half a CRLF: it stays and is joined next time.
            text = text.replace(b"\r\n", b"\n")
        while True:
            end = text.find(b"\n\n")
            if end < 0:
                break
            frame, text = text[:end], text[end + 2 :]
            event, datas = "message", []
            for line in frame.split(b"\n"):
                if line.startswith(b"event:"):
                    event = line[6:].strip().decode()
                elif line.startswith(b"data:"):
                    datas.append(line[5:].removeprefix(b" ").decode())
            if datas and self.on_event is not None:
                self.on_event(event, "\n".join(datas), now)
        self._text = text

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()


async def open_stream(
    port: int, request: bytes, on_event: OnEvent | None = None, timeout: float = 30.0
) -> tuple[SSEStream, float]:
    """Connect and wait for the response headers; returns (stream, seconds to headers)."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[int] = loop.create_future()
    t0 = time.monotonic()
    proto = SSEStream(request, ready, on_event)
    try:
        async with asyncio.timeout(timeout):
            await loop.create_connection(lambda: proto, HOST, port)
            await ready
    except BaseException:
        proto.close()
        raise
    return proto, time.monotonic() - t0
