"""Request and response bodies of the knowledge-base API."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from app.articles.models import Article, ArticleVersion
from knowledge.chunking import plain_text

_HEADING_MARK = re.compile(r"^\s{0,3}#{1,6}\s+", re.MULTILINE)
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_BODY = 200_000


def _clean_tags(tags: list[str] | None) -> list[str] | None:
    if tags is None:
        return None
    out: list[str] = []
    for t in tags:
        t = " ".join(str(t).split()).lower()[:50]
        if t and t not in out:
            out.append(t)
    if len(out) > 20:
        raise ValueError("at most 20 tags")
    return out


class ArticleIn(BaseModel):
    """A new article (a draft unless ``publish`` is true)."""

    title: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=MAX_BODY, description="Markdown.")
    slug: str | None = Field(
        default=None,
        max_length=200,
        description="Lowercase words and dashes; from the title if empty.",
    )
    tags: list[str] = Field(default_factory=list)
    lang: str = Field(default="en", min_length=2, max_length=10)
    publish: bool = False

    _tags = field_validator("tags")(_clean_tags)

    @field_validator("slug")
    @classmethod
    def _slug(cls, v: str | None) -> str | None:
        if v is not None and v != "" and not SLUG_RE.match(v):
            raise ValueError("use lowercase letters, digits and single dashes")
        return v or None

    @field_validator("title", "body")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be blank")
        return v


class ArticlePatch(BaseModel):
    """Changes to an article: a new head version (published only if ``publish`` is true)."""

    title: str | None = Field(default=None, min_length=1, max_length=300)
    body: str | None = Field(default=None, min_length=1, max_length=MAX_BODY)
    tags: list[str] | None = None
    lang: str | None = Field(default=None, min_length=2, max_length=10)
    base_version: int | None = Field(
        default=None,
        description="The head version the edit started from; 409 if someone saved since.",
    )
    publish: bool = False

    _tags = field_validator("tags")(_clean_tags)

    @field_validator("title", "body")
    @classmethod
    def _not_blank(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("must not be blank")
        return v


class PublishIn(BaseModel):
    """Which version to put live (the head if omitted)."""

    version: int | None = None


class RestoreIn(BaseModel):
    """Restore options."""

    publish: bool = False


class ArticleSummary(BaseModel):
    """An article in lists."""

    id: int
    slug: str
    title: str
    tags: list[str]
    lang: str
    status: Literal["draft", "published"]
    source: str
    version: int
    published_version: int | None
    has_unpublished_changes: bool
    url: str | None
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    excerpt: str

    @classmethod
    def of(cls, a: Article, url: str | None) -> ArticleSummary:
        """From the model."""
        assert a.id is not None
        text = " ".join(plain_text(_HEADING_MARK.sub("", a.body)).split())
        return cls(
            id=a.id,
            slug=a.slug,
            title=a.title,
            tags=list(a.tags),
            lang=a.lang,
            status="published" if a.published_version is not None else "draft",
            source=a.source,
            version=a.version,
            published_version=a.published_version,
            has_unpublished_changes=a.published_version is not None
            and a.published_version != a.version,
            url=url if a.published_version is not None else None,
            created_at=a.created_at,
            updated_at=a.updated_at,
            published_at=a.published_at,
            excerpt=text[:200],
        )


class ArticleDetail(ArticleSummary):
    """An article with its working copy and its live content."""

    body: str
    published: PublishedContent | None = None

    @classmethod
    def full(cls, a: Article, url: str | None, live: ArticleVersion | None = None) -> ArticleDetail:
        """From the model and its live version."""
        base = ArticleSummary.of(a, url).model_dump()
        return cls(
            **base,
            body=a.body,
            published=PublishedContent.of(live) if live is not None else None,
        )


class PublishedContent(BaseModel):
    """What visitors see now."""

    version: int
    title: str
    body: str
    tags: list[str]
    lang: str

    @classmethod
    def of(cls, v: ArticleVersion) -> PublishedContent:
        """From a version."""
        return cls(version=v.number, title=v.title, body=v.body, tags=list(v.tags), lang=v.lang)


class ArticleList(BaseModel):
    """A page of articles with the facets of the whole knowledge base."""

    items: list[ArticleSummary]
    total: int
    counts: dict[str, int]
    tags: list[str]
    langs: list[str]


class VersionSummary(BaseModel):
    """One entry of an article's history."""

    number: int
    title: str
    author_name: str | None
    note: str
    created_at: datetime
    is_head: bool
    is_published: bool

    @classmethod
    def of(cls, v: ArticleVersion, a: Article) -> VersionSummary:
        """From the model."""
        return cls(
            number=v.number,
            title=v.title,
            author_name=v.author_name,
            note=v.note,
            created_at=v.created_at,
            is_head=v.number == a.version,
            is_published=v.number == a.published_version,
        )


class VersionDetail(VersionSummary):
    """A version's content and its diff against the previous one (unified diff lines)."""

    body: str
    tags: list[str]
    lang: str
    diff: list[str]
    compared_to: int | None


class ImportItem(BaseModel):
    """What an import did to one article."""

    id: int
    slug: str
    title: str
    action: Literal["created", "updated", "unchanged"]
    version: int
    status: Literal["draft", "published"]
    source: str
    warnings: list[str] = Field(default_factory=list)


class ImportResult(BaseModel):
    """The outcome of an import."""

    items: list[ImportItem]
    skipped: list[dict[str, str]] = Field(default_factory=list)
    embedded: int = 0


class UrlImportIn(BaseModel):
    """A page or sitemap of the site's own origins."""

    url: str = Field(min_length=8, max_length=2000)
    publish: bool = False
    max_pages: int = Field(default=200, ge=1, le=500)


class SearchHit(BaseModel):
    """A retrieved chunk (the shape `parley kb search --json` prints)."""

    slug: str
    title: str
    section: str
    score: float
    text: str
    url: str = ""
    draft: bool = False


class DraftIn(BaseModel):
    """Unsaved or saved draft content to try questions against."""

    slug: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=MAX_BODY)
    lang: str = "en"


class TryIn(BaseModel):
    """A question for the bot, against live content or with drafts in place of it."""

    question: str = Field(min_length=1, max_length=2000)
    include_drafts: bool = Field(
        default=False, description="Answer from every article's head version (drafts included)."
    )
    draft: DraftIn | None = Field(
        default=None, description="Content from the editor, tried in place of its article."
    )


class TryOut(BaseModel):
    """What the bot would do: intent, retrieval with scores, and the reply."""

    question: str
    intent: str
    confidence: float
    lang: str
    action: Literal["answer", "escalate", "smalltalk"]
    reason: str | None
    answer: str
    threshold: float
    retrieved: list[SearchHit]
    sources: list[dict[str, Any]]
    drafts: list[str]
    ms: float


ArticleDetail.model_rebuild()
