"""German dates -> ISO 8601 with precision (``published_at``, ``published_precision``, ``modified_at``).

A comment also gets ``date``: its ``published_at``, or ``crawled_at`` when the page gave no
(readable) date, so that time-based views (the comments data view's time field) show it.

Relative dates are resolved against ``crawled_at``, the time the page was
fetched. A date that cannot be read leaves the field empty and is counted
under ``corpus/dates/<field>/failed/<reason>`` (empty, invalid, unparsed,
future, too_old: before 1945 or after the fetch, logged as implausible); the
item is never dropped for it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from corpus.items import Article, Comment
from corpus.normalize.dates import BERLIN, ParsedDate, implausible, parse_date_verbose
from pipelines._base import BasePipeline

logger = logging.getLogger(__name__)

class DatesPipeline(BasePipeline):
    def _parse(self, raw: str | None, reference: datetime, stat: str, url: str = "") -> ParsedDate | None:
        if raw is None:
            self.stats.inc_value(f"corpus/dates/{stat}/failed/empty")
            return None
        value, failed = parse_date_verbose(raw, reference)
        reason: str | None = failed
        if value is not None and (bad := implausible(value, reference)):
            logger.warning("implausible %s date %r (%s) on %s: left empty", stat, raw[:80], bad, url)
            value, reason = None, bad.replace(" ", "_")
        if value is None:
            logger.debug("no %s date in %r (%s)", stat, raw, reason)
            self.stats.inc_value(f"corpus/dates/{stat}/failed/{reason}")
            return None
        self.stats.inc_value(f"corpus/dates/{stat}/{value.precision}")
        return value

    def process_item(self, item: Article | Comment) -> Article | Comment:
        reference = _reference(item.crawled_at)
        is_article = isinstance(item, Article)
        url = item.url if isinstance(item, Article) else item.article_url
        published = self._parse(item.published_raw, reference, "published" if is_article else "comment", url)
        if published:
            item.published_at = published.isoformat()
            item.published_precision = published.precision
        if isinstance(item, Article) and item.modified_raw:
            modified = self._parse(item.modified_raw, reference, "modified", url)
            item.modified_at = modified.isoformat() if modified else None
        if isinstance(item, Comment):
            item.date = item.published_at or item.crawled_at
        return item


def _reference(crawled_at: str | None) -> datetime:
    if crawled_at:
        try:
            value = datetime.fromisoformat(crawled_at)
            return value if value.tzinfo else value.replace(tzinfo=BERLIN)
        except ValueError:
            pass
    return datetime.now(BERLIN)
