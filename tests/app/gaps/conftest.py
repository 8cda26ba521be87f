"""Fixtures for the gap report: the knowledge-base API fixtures."""

from tests.app.articles.conftest import admin, agent, api, lead  # noqa: F401
