"""Request and response shapes of the eval API."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SuiteInfo(BaseModel):
    """A suite that ships with the project (a directory under evals/)."""

    name: str
    cases: int
    conversations: int


class EvalRunIn(BaseModel):
    """Run a bundled suite against the live knowledge base, or with the drafts in place."""

    suite: str = Field(default="demo", pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    include_drafts: bool = True  # unpublished edits replace the live articles for this run
    quick: bool = True  # a third of each category: about half a minute on two cores
