"""What a fetched response gives the crawl, counted and logged: an article page's text, or why not;
whether the page is an article, and what the crawl's health measures of it; which extraction
layer filled each field; and what kind of failure a failed request had."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.http import TextResponse

from corpus import stats as names
from corpus.build import ReadArticle
from corpus.extract import Page
from corpus.extract.page import page_text
from corpus.outlethealth import OutletHealth
from corpus.pagekind import MIN_WORDS, page_kind, path_shape

logger = logging.getLogger(__name__)


def article_page(response: Any, stats: Any) -> Page | None:
    """The page of an article response; ``None`` (counted, with a warning) when it has no readable text."""
    if not isinstance(response, TextResponse):
        stats.inc_value(names.NOT_HTML)
        logger.warning("not an HTML page, skipped: %s (%s)", response.url,
                       (response.headers.get("Content-Type") or b"?").decode("latin-1"))
        return None
    stats.inc_value(names.PAGE_ARTICLE)
    text, problem = page_text(response.body, response.text, response.encoding)
    if problem in ("empty", "binary"):
        stats.inc_value(names.unreadable(problem))
        served = (response.headers.get("Content-Type") or b"?").decode("latin-1")
        logger.warning("%s skipped: %s", response.url,
                       "empty page" if problem == "empty" else f"binary content served as {served}")
        return None
    if problem:
        stats.inc_value(names.encoding_repaired(problem))
        logger.info("%s: declared encoding was wrong, read as %s", response.url, problem)
    return Page(response.url, text)


def judge_page(page: Page, read: ReadArticle, url_is_article: bool, source: str | None, health: OutletHealth,
               stats: Any) -> bool:
    """Whether a fetched candidate is an article (:mod:`corpus.pagekind`); counted either way, and for an
    article the fields the crawl's health measures."""
    article = read.article
    kind = page_kind(page, article.published_raw, article.body, url_is_article)
    if not kind.article:
        shape = path_shape(page.url)
        health.page(source, False, shape)
        stats.inc_value(names.NOT_ARTICLE)
        logger.info("not an article (%s), not written: %s (shape %s)", kind.evidence, page.url, shape)
        return False
    health.page(source, True)
    words = len((article.body or "").split())
    health.fields({"title": bool(article.title), "authors": bool(article.authors or article.byline_raw),
                   "date": bool(article.published_raw), "body": words >= MIN_WORDS, "teaser": bool(article.teaser)},
                  read.extraction.layers)
    return True


def count_extraction(read: ReadArticle, page: Page, stats: Any) -> None:
    """Which layer gave each field of an article page, and the page's errors."""
    for field_name, layer in read.extraction.layers.items():
        stats.inc_value(names.extracted(field_name, layer))
    for field_name in read.extraction.errors:
        stats.inc_value(names.extracted(field_name, "error"))
    if page.errors:
        stats.inc_value(names.PAGE_ERRORS, len(page.errors))


def count_failure(failure: Any, stats: Any, max_size: int) -> None:
    """A failed request in one log line (no traceback), counted by kind."""
    request = failure.request
    response = getattr(failure.value, "response", None)
    if response is not None:  # HttpError: the server answered, with an error status
        stats.inc_value(names.http_error(response.status))
        logger.warning("HTTP %s for %s", response.status, request.url)
        return
    message = failure.getErrorMessage()
    if "larger than download max size" in message:  # DOWNLOAD_MAXSIZE: a page no article has
        stats.inc_value(names.TOO_LARGE)
        logger.error("skipped %s: larger than DOWNLOAD_MAXSIZE (%d bytes)", request.url, max_size)
        return
    stats.inc_value(names.download_error(failure.type.__name__))
    logger.error("could not fetch %s: %s", request.url, message)
