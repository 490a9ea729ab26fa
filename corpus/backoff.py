"""Honour ``Retry-After`` on 429 and 503: slow down that site only, then try again.

Scrapy's retry middleware retries 429/503 at once and AutoThrottle ignores
``Retry-After``. Here a 429 or 503 answer that says when to come back makes
the site's download slot wait that long (at most ``CORPUS_RETRY_AFTER_MAX``
seconds) before its next request, and the request is retried (at most
``RETRY_TIMES`` times, as Scrapy counts retries). Other sites go on at their
own pace: the back-off is per download slot (per domain), never a global stall.
The slot's own delay comes back after the next successful answer.

The wait is exact: it runs from the moment the answer arrived, and the
slot's random jitter (``RANDOMIZE_DOWNLOAD_DELAY``, which would make a 3 s
wait anything from 1.5 s to 4.5 s) is off until the site answers again.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from scrapy.downloadermiddlewares.retry import get_retry_request

from corpus.config import CrawlSettings

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` value: delta-seconds or an HTTP date; ``None`` when unreadable."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    now = now or datetime.now(when.tzinfo)
    return max(0.0, (when - now).total_seconds())


class RetryAfterMiddleware:
    STATUSES = (429, 503)

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_wait = CrawlSettings.from_settings(crawler.settings).retry_after_max
        self.saved: dict[str, tuple[float, Any]] = {}  # slot -> its delay and jitter before a back-off

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler)

    def _slot(self, request: Request) -> tuple[str, Any]:
        # the downloader's slots as Scrapy's own AutoThrottle extension adjusts them: public attributes,
        # not documented, so Scrapy is pinned to its minor version and tests/test_backoff.py checks the pace
        assert self.crawler.engine is not None
        downloader = self.crawler.engine.downloader
        key = request.meta.get("download_slot") or downloader.get_slot_key(request)
        return key, downloader.slots.get(key)

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Any:
        key, slot = self._slot(request)
        if response.status not in self.STATUSES:
            if slot is not None and key in self.saved and 200 <= response.status < 400:
                slot.delay, jitter = self.saved.pop(key)  # the site answers again: its own pace
                _set_jitter(slot, jitter)
            return response
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait is None:
            return response  # no instructions: Scrapy's retry middleware decides
        wait = min(wait, self.max_wait)
        if slot is not None:
            self.saved.setdefault(key, (slot.delay, _get_jitter(slot)))
            slot.delay = max(slot.delay, wait)
            _set_jitter(slot, 0)
            slot.lastseen = _slot_now(slot)  # the wait counts from this answer, not from the request
        stats = self.crawler.stats
        stats.inc_value(f"corpus/retry_after/{response.status}")
        assert self.crawler.spider is not None  # a response came: the spider is open
        retry = get_retry_request(request, spider=self.crawler.spider, reason=f"retry_after_{response.status}")
        if retry is None:
            logger.warning("%s answered %d (Retry-After %.0fs) too often; giving up on %s", key, response.status,
                           wait, request.url)
            return response
        logger.info("%s answered %d: waiting %.0fs (Retry-After) before the next request to it", key,
                    response.status, wait)
        return retry


# Scrapy's download slot changed between releases: the random variation is
# ``jitter`` (a magnitude) in newer ones and ``randomize_delay`` (a flag) in
# older ones, and ``lastseen`` is on the monotonic clock in newer ones and on
# the wall clock in older ones. These helpers work with either.


def _get_jitter(slot: Any) -> Any:
    return slot.jitter if hasattr(slot, "jitter") else slot.randomize_delay


def _set_jitter(slot: Any, value: Any) -> None:
    if hasattr(slot, "jitter"):
        slot.jitter = float(value)
    else:
        slot.randomize_delay = bool(value)


def _slot_now(slot: Any) -> float:
    """Now, on the clock the slot's ``lastseen`` uses (it was set when this request was sent, moments ago)."""
    wall, mono = time.time(), time.monotonic()
    return mono if abs(slot.lastseen - mono) < abs(slot.lastseen - wall) else wall
