"""Reader comments across comment pages: the article travels with its next comment page, never lost.

An article's ``comment_count`` is known only when its last comment page has been read, so the
article waits in the request for its next comment page, with the comments so far. Every way
that request can end emits it: its callback, its errback (HTTP error, network, robots.txt), and
the cases where it is never sent, which :class:`CommentPages` checks itself: the page limit
(``max_comment_pages``), a page already read or one without a new comment (a site that ignores
``?page=N``), and a next page on another host. The request bypasses Scrapy's duplicate and
offsite filters, which would drop it without calling either. Articles still waiting when a crawl
stops are counted (:meth:`CommentPages.unwritten`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import scrapy

from corpus import stats as names
from corpus.archive.middleware import ARTICLE_RECORD, PAGE_ROLE, archived
from corpus.build import fetched_time, read_comments
from corpus.extract.navigation import CommentReader
from corpus.items import Article, Comment

logger = logging.getLogger(__name__)


def page_key(url: str) -> str:
    """A page's URL without fragment, for telling comment pages apart."""
    return url.split("#", 1)[0]


def page_comments(reader: CommentReader, article: Article, earlier: list[Comment], *, outlet: str,
                  max_comments: int, archive: dict[str, Any] | None = None,
                  crawl_run: str | None = None) -> tuple[list[Comment], bool]:
    """The comments of one comment page of ``article`` that ``earlier`` pages did not show, numbered after
    them, at most ``max_comments`` in all; and whether the cap cut some off.

    ``archive`` is where the page is in the web archive: the comments' provenance, and their
    ``crawled_at`` (the page's fetch time). A crawl and ``corpus reprocess`` both read comment pages
    through this function.
    """
    offset = len(earlier)
    comments, capped = read_comments(reader, article, outlet=outlet, offset=offset,
                                     limit=max(0, max_comments - offset),
                                     crawled_at=fetched_time((archive or {}).get("fetched_at")), crawl_run=crawl_run)
    if offset:
        known = {c.id for c in earlier}
        comments = [c for c in comments if c.id not in known]
        for position, comment in enumerate(comments, start=offset + 1):
            comment.position = position
    for comment in comments:
        comment.archive = archive
    return comments, capped


class CommentPages:
    """The comments of the articles of one crawl (``spider`` gives its arguments, stats and callbacks)."""

    def __init__(self, spider: Any) -> None:
        self.spider = spider
        self.held: dict[str, int] = {}  # articles waiting for a comment page -> the items they would write

    @property
    def stats(self) -> Any:
        return self.spider.crawler.stats

    def start(self, reader: CommentReader, article: Article, response: Any) -> Iterator[Any]:
        """The article page's comments, then the next comment page or the article and its comments."""
        comments = self._read(reader, article, response, []) if self.spider.args.comments else []
        yield from self._continue(reader, article, comments, response, 1, (page_key(response.url),))

    def page(self, response: Any, article: Article, comments: list[Comment], pages: int,
             visited: tuple[str, ...]) -> Iterator[Any]:
        """A further comment page: its new comments, then on."""
        from corpus.extract import Page

        self.stats.inc_value(names.PAGE_COMMENTS)
        reader = CommentReader(Page(response.url, response.text), self.spider.parser)
        new = self._read(reader, article, response, comments)
        visited = (*visited, page_key(response.url))
        if not new:  # the page repeats what earlier pages showed (a site that ignores ?page=N): the end
            self._stop(article, response.url, "pager_loop", "the comment page shows no new comment")
            yield from self.emit(article, comments)
            return
        yield from self._continue(reader, article, comments + new, response, pages + 1, visited)

    def failed(self, failure: Any) -> Iterator[Any]:
        """A comment page that cannot be fetched must not lose the article or earlier comments."""
        request = failure.request
        logger.warning("comment page %s failed (%s); keeping what was collected", request.url, failure.value)
        self.stats.inc_value(names.COMMENT_PAGE_FAILED)
        yield from self.emit(request.cb_kwargs["article"], request.cb_kwargs["comments"])

    def emit(self, article: Article, comments: list[Comment]) -> Iterator[Any]:
        self.held.pop(article.id or article.url, None)
        article.comment_count = len(comments) if self.spider.args.comments else None
        yield article
        yield from comments

    def unwritten(self) -> tuple[int, int]:
        """Articles waiting for a comment page, and the items they would write with their comments."""
        return len(self.held), sum(self.held.values())

    def report_at_close(self, reason: str, resumable: bool) -> None:
        """Count and name the articles still waiting for a comment page when the crawl stops."""
        held, items = self.unwritten()
        if not held:
            return
        self.stats.set_value(names.COMMENTS_HELD_AT_CLOSE, held)
        self.stats.set_value(names.COMMENTS_HELD_ITEMS_AT_CLOSE, items)
        logger.warning(
            "%d articles (%d items with their comments) were waiting for a comment page when the crawl "
            "stopped (%s) and were not written%s", held, items, reason,
            "; the same JOBDIR picks them up" if resumable else
            "; run with -s JOBDIR=... to continue a stopped crawl where it was")

    def _read(self, reader: CommentReader, article: Article, response: Any, earlier: list[Comment]) -> list[Comment]:
        from corpus.runs import run_name

        where = archived(response)
        comments, capped = page_comments(reader, article, earlier, outlet=self.spider.name,
                                         max_comments=self.spider.config.max_comments, archive=where,
                                         crawl_run=run_name(self.spider.crawler))
        if capped:
            self.stats.inc_value(names.COMMENTS_CAPPED)
            limit = self.spider.config.max_comments
            logger.warning("%s: more than %d comments for the article; keeping the first %d (CORPUS_MAX_COMMENTS)",
                           response.url, limit, limit)
        self.stats.inc_value(names.COMMENTS_FOUND, len(comments))
        return comments

    def _continue(self, reader: CommentReader, article: Article, comments: list[Comment], response: Any,
                  pages: int, visited: tuple[str, ...]) -> Iterator[Any]:
        """Follow the next comment page, or emit the article with its comments."""
        spider = self.spider
        # a capture of the Wayback Machine shows the comments of its day; further pages would be today's
        next_href = reader.next_page() if spider.args.comments and spider.mode != "wayback" else None
        if next_href:
            url = response.urljoin(next_href.strip()).split("#", 1)[0]
            if pages >= spider.args.max_comment_pages:
                self._stop(article, url, "stopped_max_pages",
                           f"max_comment_pages={spider.args.max_comment_pages} reached", logging.INFO)
            elif not spider.article_urls.on_site(url):
                self._stop(article, url, "offsite_page", "the next comment page is on another host")
            elif page_key(url) in visited:
                self._stop(article, url, "pager_loop", "the pager links back to a page already read")
            else:
                self.held[article.id or article.url] = len(comments) + 1
                # the archive notes which article a comment page belongs to (corpus reprocess reads it)
                meta = {PAGE_ROLE: "comments", ARTICLE_RECORD: (article.archive or {}).get("record_id")}
                yield scrapy.Request(
                    url, callback=spider.parse_comment_page, errback=spider.comment_page_failed, priority=2,
                    dont_filter=True, meta=meta,
                    cb_kwargs={"article": article, "comments": comments, "pages": pages, "visited": visited},
                )
                return
        yield from self.emit(article, comments)

    def _stop(self, article: Article, url: str, reason: str, message: str, level: int = logging.WARNING) -> None:
        self.stats.inc_value(names.comments_stopped(reason))
        logger.log(level, "comments of %s end before %s: %s; the article goes out with what was collected",
                   article.url, url, message)
