"""One name per crawl run, for the files it writes.

Two crawls of one spider may start in the same second (a scheduler and a hand-started run, two
workers): a name made of the start time alone would make them share one output file and one
dead-letter file. :func:`run_name` is the start time (UTC, to the second, so names sort by
time) and six random hex digits: ``2026-12-01T14-51-37Z-3f9a1c``. It is the same for every
file of one crawl: the default JSON Lines output ``<CORPUS_OUTPUT_DIR>/<spider>/<run>.jsonl``
(the feed URI parameter ``%(run)s``, see :func:`feed_uri_params`) and the dead-letter file
``<CORPUS_ES_DEADLETTER_DIR>/<spider>/<run>.jsonl``.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

_NAMES: WeakKeyDictionary[Any, str] = WeakKeyDictionary()


def new_run_name(start: datetime | None = None) -> str:
    """A fresh name: the start (UTC) to the second and a random suffix."""
    moment = (start or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H-%M-%S}Z-{secrets.token_hex(3)}"


def run_name(crawler: Any) -> str:
    """The name of the crawl run of ``crawler`` (made on first use, then the same for every file)."""
    name = _NAMES.get(crawler)
    if name is None:
        stats = getattr(crawler, "stats", None)
        start = stats.get_value("start_time") if stats is not None else None
        name = _NAMES[crawler] = new_run_name(start if isinstance(start, datetime) else None)
    return name


def feed_uri_params(params: dict[str, Any], spider: Any) -> dict[str, Any]:
    """``FEED_URI_PARAMS``: Scrapy's parameters plus ``run`` (:func:`run_name`)."""
    return {**params, "run": run_name(spider.crawler)}
