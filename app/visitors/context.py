"""Turning what the widget reports into the context agents read."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, Field
from ua_parser import parse as parse_ua

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


class ContextIn(BaseModel):
    """Context the widget captures on the host page."""

    url: str = Field(default="", max_length=2048)
    title: str = Field(default="", max_length=500)
    referrer: str = Field(default="", max_length=2048)
    language: str = Field(default="", max_length=35)
    timezone: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=1000)
    screen: str = Field(default="", max_length=20)


def _device_type(ua: str, device_family: str) -> str:
    low = ua.lower()
    if "ipad" in low or "tablet" in low or ("android" in low and "mobile" not in low):
        return "tablet"
    if "mobi" in low or device_family in ("iPhone", "iPod"):
        return "mobile"
    if "bot" in low or "spider" in low or "headless" in low:
        return "bot"
    return "desktop"


def _version(family: str, major: str | None) -> str:
    return f"{family} {major}" if major else family


def utm_of(url: str) -> dict[str, str]:
    """UTM parameters of a landing URL."""
    try:
        query = parse_qs(urlsplit(url).query)
    except ValueError:
        return {}
    return {k: v[0][:200] for k, v in query.items() if k in UTM_KEYS and v}


def enrich(ctx: ContextIn) -> dict[str, Any]:
    """Browser, OS and device from the user agent; UTM from the landing URL."""
    out: dict[str, Any] = ctx.model_dump()
    if ctx.user_agent:
        r = parse_ua(ctx.user_agent)
        ua, os_, dev = r.user_agent, r.os, r.device
        out["browser"] = _version(ua.family, ua.major) if ua else "Unknown"
        out["os"] = _version(os_.family, os_.major) if os_ else "Unknown"
        out["device"] = _device_type(ctx.user_agent, dev.family if dev else "")
    else:
        out.update(browser="Unknown", os="Unknown", device="unknown")
    out["utm"] = utm_of(ctx.url)
    return out
