"""The names of the crawl's own stats, in one place.

Every counter the crawler keeps is ``corpus/<group>/<name>``; the end-of-crawl summary
(:mod:`corpus.health`), the crawl record (:mod:`corpus.crawlrecord`) and the tests read them.
Groups:

* ``pages/<kind>``: pages read (``article``, ``comments``, ``listing``, ``feed``, ``sitemap``);
* ``written/<item type>``, ``dropped/<item type>/<reason>``: what the pipelines did;
* ``extract/<field>/<layer>``: which extraction layer filled each field (``missing``, ``error``);
* ``links/…``, ``listing/…``, ``sitemap/…``, ``seen/…``, ``skipped/…``: discovery and what it left out;
* ``comments/…``: reader comments found, capped, and why a comment pager ended;
* ``errors/…``: pages that could not be read (``http/<status>``, ``download/<exception>``, ...);
* ``encoding/repaired/<codec>``, ``dates/…``, ``scope/…``, ``authors/…``, ``state/…``, ``es/…``, ``jobdir/…``.
"""

from __future__ import annotations

from collections import Counter

PREFIX = "corpus/"


class Counts(Counter[str]):
    """Stats kept outside a crawler: what the crawl's helpers and the indexer count (``inc_value``), as a
    Counter."""

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self[key] = self.get(key, start) + count


def key(*parts: str) -> str:
    """``key("pages", "article")`` -> ``corpus/pages/article``."""
    return PREFIX + "/".join(parts)


# pages read
PAGE_ARTICLE = key("pages", "article")
NOT_ARTICLE = key("pages", "not_article")  # fetched as an article candidate, and not one (corpus/pagekind.py)
PAGE_COMMENTS = key("pages", "comments")
PAGE_LISTING = key("pages", "listing")
PAGE_FEED = key("pages", "feed")
PAGE_SITEMAP = key("pages", "sitemap")

# discovery
LINKS_NOT_ARTICLE = key("links", "not_article")
LINKS_CAPPED = key("links", "capped")
LISTING_EMPTY = key("listing", "empty")
LISTING_STOPPED_SINCE = key("listing", "stopped_since")
LISTING_STOPPED_MAX_PAGES = key("listing", "stopped_max_pages")
LISTING_SHORT_OF_SINCE = key("listing", "short_of_since")
SITEMAP_INVALID = key("errors", "sitemap_invalid")
SITEMAP_OLDER_THAN_WINDOW = key("sitemap", "older_than_window")
SITEMAP_STOPPED_BUDGET = key("sitemap", "stopped_budget")
SITEMAP_TOO_DEEP = key("sitemap", "too_deep")
SKIPPED_OLDER_THAN_SINCE = key("skipped", "older_than_since")
WAYBACK_CAPTURES = key("wayback", "captures")  # captures the CDX API listed
WAYBACK_BAD_CDX = key("errors", "wayback_cdx")  # CDX answers that could not be read

# reader comments
COMMENTS_FOUND = key("comments", "found")
COMMENTS_CAPPED = key("comments", "capped")
COMMENTS_HELD_AT_CLOSE = key("comments", "held_at_close")
COMMENTS_HELD_ITEMS_AT_CLOSE = key("comments", "held_items_at_close")
COMMENT_PAGE_FAILED = key("errors", "comment_page")


def comments_stopped(reason: str) -> str:
    """Why a comment pager ended early: ``stopped_max_pages``, ``offsite_page``, ``pager_loop``."""
    return key("comments", reason)


# pages that could not be read
FEED_NOT_TEXT = key("errors", "feed_not_text")
NOT_HTML = key("errors", "not_html")
TOO_LARGE = key("errors", "too_large")
PAGE_ERRORS = key("errors", "page")


def unreadable(problem: str) -> str:
    """An article page skipped: ``empty_page`` or ``binary_page``."""
    return key("errors", f"{problem}_page")


def http_error(status: int) -> str:
    return key("errors", "http", str(status))


def download_error(exception: str) -> str:
    return key("errors", "download", exception)


def encoding_repaired(codec: str) -> str:
    return key("encoding", "repaired", codec)


def extracted(field: str, layer: str) -> str:
    """The layer that filled a field (``missing`` when none did, ``error`` when one failed)."""
    return key("extract", field, layer)


def written(item_type: str) -> str:
    return key("written", item_type)


def dropped(item_type: str, reason: str) -> str:
    return key("dropped", item_type, reason.replace(" ", "_"))
