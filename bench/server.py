"""The server under test: a temporary data dir with bulk-inserted rows, `parley serve` as a child.

Everything binds to 127.0.0.1; the child dies with us (PR_SET_PDEATHSIG) and is stopped by
``Server.stop`` on every exit path of the bench.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
_CLK_TCK = os.sysconf("SC_CLK_TCK")


def raise_nofile() -> tuple[int, int]:
    """Raise this process's RLIMIT_NOFILE soft limit to the hard limit; return (soft, hard)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1_048_576)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Whether 127.0.0.1:port can be bound (SO_REUSEADDR, as uvicorn does)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
        return True


@dataclass
class Fixture:
    """A migrated, seeded data dir with ``n`` visitor sessions, each with one conversation."""

    data_dir: Path
    port: int
    secret: str
    site_id: int
    admin_id: int
    # (visitor session id, conversation id), conversation ids ascending.
    visitors: list[tuple[str, int]] = field(default_factory=list)
    # Empty: SQLite in data_dir; else a PostgreSQL URL (a database of this run's own).
    database_url: str = ""

    @property
    def origin(self) -> str:
        return f"http://{HOST}:{self.port}"

    def settings(self):  # type: ignore[no-untyped-def]
        from app.config import Settings

        return Settings(
            data_dir=self.data_dir,
            database_url=self.database_url,
            secret_key=self.secret,
            public_url=self.origin,
            demo_allowed_origins=self.origin,
            admin_password="bench-" + self.secret[:16],
            bot_enabled=False,
            rate_limits=False,
        )


async def _seed(fx: Fixture) -> tuple[int, int]:
    from sqlmodel import select
    from sqlmodel.ext.asyncio.session import AsyncSession

    from app.agents.models import Agent
    from app.db import make_engine
    from app.seed import seed

    settings = fx.settings()
    engine = make_engine(settings)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            result = await seed(session, settings, with_kb=False)
            await session.commit()
            from app.sites import repository as sites

            site = await sites.get_by_key(session, result.site_key)
            admin = (
                await session.exec(select(Agent).where(Agent.email == result.admin_email))
            ).first()
            assert site is not None and site.id is not None
            assert admin is not None and admin.id is not None
            return site.id, admin.id
    finally:
        await engine.dispose()


def prepare(data_dir: Path, port: int, n_visitors: int, database_url: str = "") -> Fixture:
    """Migrate and seed ``data_dir`` (or ``database_url``), then bulk-insert sessions +
    assigned conversations."""
    from sqlalchemy import create_engine, insert, select

    from app.config import set_settings
    from app.conversations.models import Conversation, Status
    from app.db import utcnow
    from app.migrate import upgrade
    from app.visitors.models import VisitorSession

    fx = Fixture(
        data_dir=data_dir,
        port=port,
        secret=secrets.token_urlsafe(32),
        site_id=0,
        admin_id=0,
        database_url=database_url,
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = fx.settings()
    # Tokens minted in this process must verify in the server: same secret, via get_settings().
    set_settings(settings)
    upgrade(settings)
    fx.site_id, fx.admin_id = asyncio.run(_seed(fx))

    now = utcnow()
    sessions = _sessions(fx, n_visitors)
    # Assigned to the admin up front, so an agent reply is one message, not assign + message.
    conversations = [
        {
            "site_id": fx.site_id,
            "session_id": s["id"],
            "contact_id": None,
            "status": Status.assigned,
            "assignee_id": fx.admin_id,
            "priority": 0,
            "context": {},
            "last_seq": 0,
            "created_at": now,
            "updated_at": now,
        }
        for s in sessions
    ]
    engine = create_engine(settings.sync_database_url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(VisitorSession.__table__), sessions)  # type: ignore[attr-defined]
            conn.execute(insert(Conversation.__table__), conversations)  # type: ignore[attr-defined]
            rows = conn.execute(
                select(Conversation.id, Conversation.session_id)  # type: ignore[call-overload]
                .where(Conversation.site_id == fx.site_id)
                .order_by(Conversation.id)
            ).all()
    finally:
        engine.dispose()
    fx.visitors = [(str(sid), int(cid)) for cid, sid in rows]
    return fx


def _sessions(fx: Fixture, n: int) -> list[dict[str, object]]:
    from app.db import utcnow

    now = utcnow()
    return [
        {
            "id": str(uuid.uuid4()),
            "site_id": fx.site_id,
            "contact_id": None,
            "context": {"url": f"{fx.origin}/demo", "language": "en"},
            "created_at": now,
            "last_seen_at": now,
        }
        for _ in range(n)
    ]


def prepare_bot(data_dir: Path, port: int, n_sessions: int, kb_dir: Path) -> Fixture:
    """A data dir whose knowledge base is ``kb_dir`` (copied), seeded by `parley seed`.

    The seed imports the demo articles through the KB service as `make run` does; their
    chunks are already in the copied index, so nothing is embedded again (only the URLs
    in the metadata change). Visitor sessions are bulk-inserted without conversations:
    each visitor's first message opens one, as in the widget.
    """
    from sqlalchemy import create_engine, insert, text

    from app.config import set_settings
    from app.visitors.models import VisitorSession

    fx = Fixture(
        data_dir=data_dir, port=port, secret=secrets.token_urlsafe(32), site_id=0, admin_id=0
    )
    settings = fx.settings()
    set_settings(settings)  # tokens minted here must verify in the server
    shutil.copytree(kb_dir, data_dir / "chroma", ignore=shutil.ignore_patterns("ready.json"))
    seeded = subprocess.run(
        [str(Path(sys.executable).parent / "parley"), "seed"],
        env=Server(fx).env(),
        cwd=data_dir,
        capture_output=True,
        text=True,
    )
    if seeded.returncode != 0:
        raise RuntimeError(f"parley seed failed:\n{seeded.stdout[-2000:]}{seeded.stderr[-2000:]}")
    engine = create_engine(settings.sync_database_url)
    try:
        with engine.begin() as conn:
            fx.site_id = int(
                conn.execute(
                    text('SELECT id FROM site WHERE "key" = :k'), {"k": settings.demo_site_key}
                ).scalar_one()
            )
            fx.admin_id = int(
                conn.execute(
                    text("SELECT id FROM agent WHERE email = :e"), {"e": settings.admin_email}
                ).scalar_one()
            )
            rows = _sessions(fx, n_sessions)
            conn.execute(insert(VisitorSession.__table__), rows)  # type: ignore[attr-defined]
    finally:
        engine.dispose()
    fx.visitors = [(str(r["id"]), 0) for r in rows]
    return fx


@contextlib.contextmanager
def pg_database(admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one run (``admin_url`` may create databases);
    yields its URL and drops it afterwards."""
    import psycopg

    name = f"parley_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _child_setup() -> None:
    # Runs in the child between fork and exec: die with the bench, and have the same fd headroom.
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    raise_nofile()


class Server:
    """`parley serve` on 127.0.0.1:<port> in its own session, output to a log file."""

    def __init__(
        self,
        fx: Fixture,
        *,
        redis_url: str = "",
        log_name: str = "server.log",
        bot: bool = False,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.fx = fx
        self.redis_url = redis_url
        self.bot = bot
        self.extra_env = dict(extra_env or {})
        self.log_path = fx.data_dir / log_name
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
        env.update(
            PARLEY_DATA_DIR=str(self.fx.data_dir),
            PARLEY_DATABASE_URL=self.fx.database_url,
            PARLEY_SECRET_KEY=self.fx.secret,
            PARLEY_PUBLIC_URL=self.fx.origin,
            PARLEY_DEMO_ALLOWED_ORIGINS=self.fx.origin,
            PARLEY_BOT_ENABLED="true" if self.bot else "false",
            PARLEY_RATE_LIMITS="false",
            PARLEY_REDIS_URL=self.redis_url,
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 60.0) -> None:
        """Start the server and wait until /healthz answers."""
        exe = Path(sys.executable).parent / "parley"
        cmd = [str(exe), "serve", "--host", HOST, "--port", str(self.fx.port)]
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        try:
            self.proc = subprocess.Popen(
                cmd,
                env=self.env(),
                # Not the repo: a stray .env there must not configure the server under test.
                cwd=self.fx.data_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches only us; we stop it ourselves
                preexec_fn=_child_setup,  # noqa: PLW1509
            )
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            if self._healthy():
                return
            time.sleep(0.1)
        raise RuntimeError(f"server did not become healthy in {timeout}s:\n{self.log_tail()}")

    def _healthy(self) -> bool:
        try:
            with socket.create_connection((HOST, self.fx.port), timeout=1) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                return s.recv(64).startswith(b"HTTP/1.1 200")
        except OSError:
            return False

    def check_alive(self, during: str) -> None:
        """Raise if the server has exited (crashed, or signalled by something else)."""
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(
                f"the server exited (code {self.proc.returncode}) during {during}; "
                f"log tail:\n{self.log_tail(8)}"
            )

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def log_grep(self, *needles: str, limit: int = 5) -> tuple[int, list[str]]:
        """(count, first lines) of log lines containing any needle."""
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return 0, []
        hits = [ln for ln in text if any(n in ln for n in needles)]
        return len(hits), hits[:limit]

    def _status(self, key: str) -> int:
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        return 0

    def rss_kb(self) -> int:
        """Resident set size (VmRSS) in KiB."""
        return self._status("VmRSS")

    def hwm_kb(self) -> int:
        """Peak resident set size (VmHWM) in KiB."""
        return self._status("VmHWM")

    def threads(self) -> int:
        return self._status("Threads")

    def fds(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def sockets(self) -> int:
        """Open HTTP sockets: the listener and the clients' connections to our port.

        Database and Redis connections are left out: their pools may legitimately keep
        more connections after a burst (PostgreSQL's up to its pool size), which is not a
        stream left behind.
        """
        inodes: set[str] = set()
        for fd in os.listdir(f"/proc/{self.pid}/fd"):
            with contextlib.suppress(OSError):
                link = os.readlink(f"/proc/{self.pid}/fd/{fd}")
                if link.startswith("socket:["):
                    inodes.add(link[8:-1])
        port = f"{self.fx.port:04X}"
        n = 0
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with contextlib.suppress(OSError), open(table) as f:
                next(f, None)
                for line in f:
                    cols = line.split()
                    # local address "IP:PORT" (hex), inode in column 10
                    if cols[1].rsplit(":", 1)[1] == port and cols[9] in inodes:
                        n += 1
        return n

    def nofile_limit(self) -> str:
        with open(f"/proc/{self.pid}/limits") as f:
            for line in f:
                if line.startswith("Max open files"):
                    parts = line.split()
                    return f"{parts[3]}/{parts[4]}"
        return "?"

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far."""
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLK_TCK

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after a grace period; safe to call twice."""
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=8)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            self.proc.wait(timeout=5)


def process_cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU of a process (default: this one)."""
    with open(f"/proc/{pid or 'self'}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def process_rss_kb(pid: int | None = None) -> int:
    with open(f"/proc/{pid or 'self'}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0
