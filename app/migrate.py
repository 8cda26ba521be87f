"""Apply Alembic migrations programmatically (CLI, tests, start-up of `make run`)."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

from alembic import command
from app.config import Settings

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Bring the configured database to the given revision."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    cfg = Config(str(ALEMBIC_INI))
    cfg.attributes["url"] = settings.sync_database_url
    command.upgrade(cfg, revision)
