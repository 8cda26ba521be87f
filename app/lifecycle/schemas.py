"""Lifecycle settings as the API shows and takes them."""

from __future__ import annotations

from pydantic import BaseModel, Field


class LifecycleSettings(BaseModel):
    """When quiet conversations close, and how long after a close a visitor reopens one."""

    inactivity_minutes: int = Field(
        ge=0, le=7 * 24 * 60, description="Close after this many quiet minutes (0: never)."
    )
    reopen_hours: int = Field(
        ge=0, le=30 * 24, description="Writing within this many hours reopens (0: never)."
    )
