"""What every pipeline shares: the crawler, its stats, and dropping with a stat."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class BasePipeline:
    """Keeps the crawler (Scrapy 2.14+ passes no spider to pipeline methods)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.settings = crawler.settings

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        return cls(crawler)

    def drop(self, reason: str, item_type: str, *, level: int = logging.WARNING) -> DropItem:
        """Count a drop under ``corpus/dropped/<item_type>/<reason>`` and build the exception.

        Args:
            reason: short, stable reason (used as the stat key).
            item_type: ``article`` or ``comment``.
            level: log level of Scrapy's "Dropped" line.
        """
        self.stats.inc_value(f"corpus/dropped/{item_type}/{reason.replace(' ', '_')}")
        return DropItem(reason, log_level=logging.getLevelName(level))
