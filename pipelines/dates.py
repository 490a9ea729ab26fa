"""German dates -> ISO 8601 with precision (``published_at``, ``published_precision``, ``modified_at``).

Relative dates are resolved against ``crawled_at``, the time the page was
fetched. A date that cannot be read leaves the field empty and is counted
under ``corpus/dates/<field>/failed/<reason>`` (empty, invalid, unparsed,
future); the item is never dropped for it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from corpus.items import Article, Comment
from corpus.normalize.dates import BERLIN, ParsedDate, parse_date_verbose
from pipelines._base import BasePipeline

logger = logging.getLogger(__name__)

# A page may be a little ahead of our clock; anything further is an error on the page.
_FUTURE_TOLERANCE = timedelta(days=1)


class DatesPipeline(BasePipeline):
    def _parse(self, raw: str | None, reference: datetime, stat: str) -> ParsedDate | None:
        if raw is None:
            self.stats.inc_value(f"corpus/dates/{stat}/failed/empty")
            return None
        value, failed = parse_date_verbose(raw, reference)
        reason: str | None = failed
        if value is not None and _instant(value) > reference + _FUTURE_TOLERANCE:
            value, reason = None, "future"
        if value is None:
            logger.debug("no %s date in %r (%s)", stat, raw, reason)
            self.stats.inc_value(f"corpus/dates/{stat}/failed/{reason}")
            return None
        self.stats.inc_value(f"corpus/dates/{stat}/{value.precision}")
        return value

    def process_item(self, item: Article | Comment) -> Article | Comment:
        reference = _reference(item.crawled_at)
        is_article = isinstance(item, Article)
        published = self._parse(item.published_raw, reference, "published" if is_article else "comment")
        if published:
            item.published_at = published.isoformat()
            item.published_precision = published.precision
        if isinstance(item, Article) and item.modified_raw:
            modified = self._parse(item.modified_raw, reference, "modified")
            item.modified_at = modified.isoformat() if modified else None
        return item


def _reference(crawled_at: str | None) -> datetime:
    if crawled_at:
        try:
            value = datetime.fromisoformat(crawled_at)
            return value if value.tzinfo else value.replace(tzinfo=BERLIN)
        except ValueError:
            pass
    return datetime.now(BERLIN)


def _instant(value: ParsedDate) -> datetime:
    if isinstance(value.value, datetime):
        return value.value
    return datetime(value.value.year, value.value.month, value.value.day, tzinfo=BERLIN)
