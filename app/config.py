"""Application settings: one place, environment prefix ``PARLEY_``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the service; defaults give the embedded, key-less set-up."""

    model_config = SettingsConfigDict(env_prefix="PARLEY_", env_file=".env", extra="ignore")

    data_dir: Path = Path("./data")
    # Empty means SQLite in the data directory; set a postgresql:// URL to scale out.
    database_url: str = ""
    # Empty means the in-process event bus; a redis:// URL fans events out across instances.
    redis_url: str = ""
    # Empty means a persistent Chroma client in the data directory.
    chroma_url: str = ""

    host: str = "127.0.0.1"
    port: int = 8000
    # The public base URL used in links the bot sends (help-centre articles).
    public_url: str = "http://127.0.0.1:8000"

    secret_key: str = Field(default="", description="Signs agent and visitor tokens.")
    agent_token_minutes: int = 12 * 60
    visitor_token_days: int = 30

    admin_email: str = "admin@parley.local"
    admin_password: str = ""
    admin_name: str = "Ada Admin"

    demo_site_key: str = "pk_demo"
    demo_allowed_origins: str = "http://127.0.0.1:8000,http://localhost:8000"

    sse_ping_seconds: float = 15.0
    rate_limits: bool = True
    bot_enabled: bool = True
    bot_workers: int = 2

    # Conversation lifecycle defaults; a site may override them (app/lifecycle). Quiet
    # conversations close after inactivity_close_minutes (0: never); a visitor writing
    # within reopen_window_hours of a close reopens it. The sweep runs in every app
    # process (idempotent); 0 turns it off.
    inactivity_close_minutes: int = 30
    reopen_window_hours: int = 24
    lifecycle_sweep_seconds: float = 60.0

    # Routing (app/routing): the sweep that re-assigns and drains the queue runs this often
    # in every app process (0: off). An online agent without console activity this long
    # goes away; one whose console has been closed this long goes offline. A conversation
    # without a team moves on when its agent has not answered within the time-out
    # (teams set their own; 0: never).
    routing_sweep_seconds: float = 15.0
    agent_away_after_minutes: float = 10.0
    agent_offline_after_seconds: float = 120.0
    routing_answer_timeout_seconds: int = 300

    # Knowledge base: uploads above this are refused (413) before they are read in full.
    kb_max_upload_bytes: int = 10 * 1024 * 1024
    # Extra origins (comma-separated) URL imports may fetch from, besides the sites' own.
    kb_fetch_origins: str = ""

    # Attachments (app/files): larger uploads are refused (413) while they stream in; files
    # uploaded but never sent are removed after unsent_file_hours.
    file_max_bytes: int = 10 * 1024 * 1024
    unsent_file_hours: int = 24

    # Generated answers: any OpenAI-compatible endpoint (empty base URL or model means
    # extractive answers only). Every answer is checked against the knowledge base
    # before the visitor sees it; time-outs, 429s and outages fall back to extractive.
    llm_base_url: str = ""
    llm_api_key: str = ""
    llm_model: str = ""
    llm_first_token_seconds: float = 8.0
    llm_total_seconds: float = 30.0
    llm_max_tokens: int = 300
    llm_temperature: float = 0.2
    # After an outage, a 429 or a time-out, skip the LLM this long (no retry storms).
    llm_cooldown_seconds: float = 30.0
    # How to ask for JSON (intent classification): "json_schema" (OpenAI, vLLM, Ollama,
    # llama.cpp's llama-server) or "json_object" (llama-cpp-python's server).
    llm_structured_output: Literal["json_schema", "json_object"] = "json_schema"
    # Escalation policy and guardrails; empty means prompts/policy.yaml.
    bot_policy_path: str = ""

    # Eval suites the console offers besides the bundled ones (evals/<name>/):
    # directories of case files, comma-separated; each is named by its suite.yaml.
    eval_suite_dirs: str = ""

    # CRM webhooks (app/crm): the outbox worker's retries and time-outs. A delivery is
    # retried after ~backoff * 2^(n-1) seconds (jittered, capped) and is dead after
    # max_attempts tries (about a day with these defaults); dead ones are replayed by hand.
    webhooks_enabled: bool = True
    webhook_workers: int = 4
    webhook_poll_seconds: float = 2.0
    webhook_timeout_seconds: float = 10.0
    webhook_backoff_seconds: float = 10.0
    webhook_backoff_max_seconds: float = 3600.0
    webhook_max_attempts: int = 12
    # Delivered deliveries are kept this long in the delivery log.
    webhook_log_days: int = 30

    @property
    def sqlite_path(self) -> Path:
        """Path of the embedded SQLite database."""
        return self.data_dir / "parley.db"

    @property
    def async_database_url(self) -> str:
        """SQLAlchemy async URL for the configured database."""
        url = self.database_url
        if not url:
            return f"sqlite+aiosqlite:///{self.sqlite_path}"
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            return "postgresql+psycopg://" + url.split("://", 1)[1]
        return url

    @property
    def sync_database_url(self) -> str:
        """SQLAlchemy sync URL (Alembic) for the configured database."""
        url = self.async_database_url
        return url.replace("sqlite+aiosqlite://", "sqlite://")

    @property
    def is_postgres(self) -> bool:
        """Whether the configured database is PostgreSQL."""
        return self.async_database_url.startswith("postgresql")

    @property
    def postgres_dsn(self) -> str:
        """Plain libpq DSN for psycopg users (LangGraph's checkpointer)."""
        return "postgresql://" + self.async_database_url.split("://", 1)[1]

    @property
    def chroma_dir(self) -> Path:
        """Directory of the embedded Chroma store."""
        return self.data_dir / "chroma"

    @property
    def files_dir(self) -> Path:
        """Directory of uploaded files (named by random keys)."""
        return self.data_dir / "files"

    @property
    def checkpoint_path(self) -> Path:
        """SQLite file of the LangGraph checkpointer in the embedded set-up."""
        return self.data_dir / "checkpoints.db"

    def secret(self) -> str:
        """The signing secret, generated once and kept in the data directory if unset."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if not path.exists():
            import secrets

            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        self.secret_key = path.read_text().strip()
        return self.secret_key


_override: Settings | None = None


@lru_cache
def _from_env() -> Settings:
    return Settings()


def get_settings() -> Settings:
    """The process-wide settings (from the environment unless a test or CLI set them)."""
    return _override if _override is not None else _from_env()


def set_settings(settings: Settings | None) -> None:
    """Replace the process-wide settings (tests, embedded servers)."""
    global _override
    _override = settings
