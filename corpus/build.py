"""One page in, the crawl's items out, without a crawler.

:func:`read_article` turns a fetched page into the :class:`~corpus.items.Article` a crawl writes
(raw fields: the pipelines normalise dates, bylines and text) and :func:`read_comments` its
reader comments. A crawl (:class:`corpus.spider.OutletSpider`), ``corpus extract``, reprocessing
archived pages and archive backfills all call these, so a page gives the same item however it
arrived; :class:`corpus.runner.ItemRunner` then passes the items through the crawl's pipelines.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from corpus import __version__
from corpus.extract import OutletParser, Page, extract
from corpus.extract.layers import Extraction
from corpus.extract.navigation import CommentReader
from corpus.items import Article, Comment
from corpus.normalize.text import clean_text
from corpus.normalize.urls import bounded_id, canonicalize_url, content_hash, url_id
from corpus.tz import BERLIN, moment

# request meta a news sitemap gives an article page: they stand in when the page lacks the field
HINTS = (("published", "sitemap_published"), ("title", "sitemap_title"))


def now() -> str:
    """The crawl time of an item: now, to the second, Berlin time."""
    return datetime.now(BERLIN).isoformat(timespec="seconds")


def fetched_time(warc_date: str | None) -> str | None:
    """An archive record's ``WARC-Date`` (UTC, maybe with fractions) as an item's ``crawled_at``: Berlin
    time to the second. A crawl and a reprocess of the same record give the same value."""
    fetched = moment(warc_date)
    return fetched.astimezone(BERLIN).isoformat(timespec="seconds") if fetched else None


# the code that turns a page into items: a change in any of these files is a new extractor version
_EXTRACTOR_SOURCES = ("corpus/extract", "corpus/normalize", "corpus/topics", "corpus/stories", "corpus/build.py",
                      "spiders", "pipelines")


@lru_cache(maxsize=1)
def extractor_version() -> str:
    """``<package version>+<digest>``: the digest covers the sources of extraction, normalisation,
    tagging, the outlet spiders and the pipelines, so two items with the same value were read by
    the same code (also between releases, in a checkout)."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha1()
    for name in _EXTRACTOR_SOURCES:
        path = root / name
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for file in files:
            if file.is_file():
                digest.update(file.relative_to(root).as_posix().encode())
                digest.update(file.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:10]}"


@dataclass
class ReadArticle:
    """An article page read: the article, what each extraction layer gave, its comment reader."""

    article: Article
    extraction: Extraction
    comments: CommentReader


def read_article(page: Page, parser: type[OutletParser], *, outlet: str, outlet_name: str | None = None,
                 own_url: Callable[[str], str] = lambda url: url, hints: Mapping[str, Any] | None = None,
                 crawled_at: str | None = None, crawl_run: str | None = None) -> ReadArticle:
    """The article of a page.

    Args:
        page: the page (its ``url`` is where it was fetched from).
        parser: the outlet's parser class.
        outlet, outlet_name: the spider's name and the outlet's own.
        own_url: maps a URL of a mirror back onto the outlet's (ids come from the outlet's URL).
        hints: request meta with a news sitemap's date and title.
        crawled_at, crawl_run: when and by which crawl run the page was fetched.
    """
    result = extract(page, parser)
    for field_name, key in HINTS:
        if field_name not in result.values and (hints or {}).get(key):
            result.values[field_name] = hints[key]  # type: ignore[index]
            result.layers[field_name] = "sitemap"
    values = result.values
    reader = CommentReader(page, parser)
    canonical = canonicalize_url(own_url(page.canonical_url or page.url))
    authors, body = values.get("authors"), values.get("body")
    article = Article(
        id=url_id(canonical),
        url=page.url,
        canonical_url=canonical,
        outlet=outlet,
        outlet_name=outlet_name or None,
        language=_language(values.get("language")),
        section=values.get("section"),
        kicker=values.get("kicker"),
        title=values.get("title"),
        teaser=values.get("teaser"),
        body=body.text if body else None,
        subheadings=list(body.subheadings) if body else [],
        byline_raw=authors if isinstance(authors, str) else None,
        authors=list(authors) if isinstance(authors, list) else [],
        author_organizations=list(values.get("organizations") or []),
        published_raw=values.get("published"),
        modified_raw=values.get("modified"),
        crawled_at=crawled_at or now(),
        keywords=list(values.get("keywords") or []),
        image=values.get("image"),
        paywalled=bool(values.get("paywalled")),
        comments_closed=reader.closed(),
        extraction=dict(result.layers),
        crawl_run=crawl_run,
        software_version=__version__,
        extractor_version=extractor_version(),
        processed_at=now(),
    )
    article.content_hash = content_hash(article.title, article.teaser, article.body)
    return ReadArticle(article, result, reader)


def read_comments(reader: CommentReader, article: Article, *, outlet: str, offset: int = 0, limit: int = 5000,
                  crawled_at: str | None = None, crawl_run: str | None = None) -> tuple[list[Comment], bool]:
    """The comments of one page (positions from ``offset + 1``), at most ``limit``; and whether there were more.

    A comment's id is the outlet's (bounded to 200 bytes), else a hash of article, author, date and text.
    """
    crawled_at = crawled_at or now()
    processed_at = now()
    found = reader.comments(limit=limit + 1)  # one more tells whether there are more
    capped = len(found) > limit
    comments = []
    for position, raw in enumerate(found[:limit], start=offset + 1):
        outlet_id, text, parent = raw.get("comment_id"), raw.get("text"), raw.get("parent_id")
        if outlet_id:
            comment_id = bounded_id(f"{outlet}-{outlet_id}")
        else:
            comment_id = "{}-{}".format(outlet, content_hash(
                article.id, raw.get("author"), raw.get("published_raw"), text)[:20])
        comments.append(Comment(
            id=comment_id,
            comment_id=outlet_id,
            article_id=article.id,
            article_url=article.canonical_url or article.url,
            article_title=article.title,
            outlet=outlet,
            author=raw.get("author"),
            published_raw=raw.get("published_raw"),
            title=raw.get("title"),
            text=text,
            parent_id=bounded_id(f"{outlet}-{parent}") if parent else None,
            position=position,
            crawled_at=crawled_at,
            crawl_run=crawl_run,
            software_version=__version__,
            extractor_version=extractor_version(),
            processed_at=processed_at,
        ))
    return comments, capped


def _language(value: str | None) -> str | None:
    if not value:
        return None
    return clean_text(value.replace("_", "-").split("-")[0].lower())
