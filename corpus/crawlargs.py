"""Spider arguments (``scrapy crawl cicero -a mode=backfill -a since=2023-01-01``), validated before a crawl.

:class:`CrawlArgs` declares every argument with its type, default and meaning; a wrong one stops
the crawl with one line naming it (``invalid argument for spider 'cicero': mode: ...``). The
README's table of arguments is checked against it (``tests/test_docs.py``).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from corpus.tz import BERLIN

Source = Literal["listings", "sitemap"]
_ALL_SOURCES: tuple[Source, ...] = ("listings", "sitemap")


class CrawlArgs(BaseModel):
    """Spider arguments (``-a name=value``), validated before the crawl starts."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["recent", "backfill", "wayback"] = Field(
        "recent", description="recent: feeds and section fronts; backfill: listings and sitemap; wayback: the "
        "Wayback Machine's captures of the sections' pages between since and until"
    )
    since: date | None = Field(
        None, description="backfill: stop paging listings at teasers older than this (YYYY-MM-DD, or "
        "30d for 30 days before today, as scheduled backfills use it)"
    )
    until: date | None = Field(None, description="wayback: the last day of captures (YYYY-MM-DD; default: today)")
    wayback_url: str = Field(
        "https://web.archive.org", description="wayback: the Wayback Machine's address (a local copy for tests)"
    )
    max_pages: int = Field(
        50, ge=1, le=100_000, description="at most this many pages per listing (backfill), and this many "
        "child sitemaps of sitemap indexes in all"
    )
    scope: Literal["in", "all"] = Field(
        "in", description="in: keep only Korea–Russia–China articles; all: keep everything"
    )
    sources: list[Source] = Field(
        default_factory=lambda: list(_ALL_SOURCES),
        description="backfill: discovery sources, comma-separated",
    )
    listings: list[str] = Field(
        default_factory=list,
        description="backfill: extra listing paths (topic/tag pages), comma-separated",
    )
    days: int = Field(3, ge=1, le=365, description="recent: news sitemap entries published in the last N days")
    incremental: bool = Field(
        True, description="skip articles the corpus already has, except those published within the "
        "outlet's revisit window (CORPUS_REVISIT_DAYS)"
    )
    comments: bool = Field(True, description="collect reader comments")
    max_comment_pages: int = Field(50, ge=1, description="comment pages followed per article")
    base_url: str | None = Field(
        None, description="origin to crawl instead of the outlet's (a mirror or a local copy)"
    )

    @field_validator("sources", "listings", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("since", mode="before")
    @classmethod
    def _relative_since(cls, value: Any) -> Any:
        if isinstance(value, str) and re.fullmatch(r"\d{1,4}d", value.strip()):
            return datetime.now(BERLIN).date() - timedelta(days=int(value.strip()[:-1]))
        return value

    @model_validator(mode="after")
    def _wayback_needs_since(self) -> CrawlArgs:
        if self.mode == "wayback" and self.since is None:
            raise ValueError("mode=wayback needs since=YYYY-MM-DD (the first day of captures)")
        if self.since is not None and self.until is not None and self.until < self.since:
            raise ValueError("until is before since")
        return self

    @field_validator("wayback_url")
    @classmethod
    def _check_wayback_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("wayback_url must be an http(s) address such as https://web.archive.org")
        return value.rstrip("/")

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("base_url must be an http(s) origin such as https://www.cicero.de")
        return f"{parts.scheme}://{parts.netloc}"


def validate_args(spider_cls: Any, kwargs: dict[str, Any]) -> CrawlArgs:
    """Validate spider arguments; raise ``ValueError`` with a readable message."""
    known = {k: v for k, v in kwargs.items() if k in CrawlArgs.model_fields}
    # names with a leading underscore come from tools such as scrapyd (_job)
    unknown = sorted(k for k in set(kwargs) - set(known) - set(spider_cls.extra_args) if k[:1] != "_")
    if unknown:
        raise ValueError(
            f"unknown argument(s) for spider {spider_cls.name!r}: {', '.join(unknown)}; "
            f"known: {', '.join(sorted(CrawlArgs.model_fields))}"
        )
    try:
        return CrawlArgs(**known)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ValueError(f"invalid argument for spider {spider_cls.name!r}: {problems}") from None
