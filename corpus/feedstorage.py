"""Local JSON Lines feeds that a checkpoint can flush (``FEED_STORAGES`` for ``file`` URIs and paths).

Scrapy's :class:`~scrapy.extensions.feedexport.FileFeedStorage` writes through a buffer that
reaches the disk when it is full or when the crawl closes, so a crawl killed with ``kill -9``
loses what the buffer held. This storage is the same, and keeps its open files so that
:func:`flush_all` (called at every checkpoint, :mod:`corpus.signals`) can hand what they
hold to the operating system, without reaching into the feed exporter.
"""

from __future__ import annotations

from typing import IO, Any
from weakref import WeakSet

from scrapy.extensions.feedexport import FileFeedStorage

_OPEN: WeakSet[Any] = WeakSet()


class DurableFileStorage(FileFeedStorage):
    def open(self, spider: Any) -> IO[bytes]:
        file = super().open(spider)
        _OPEN.add(file)
        return file


def flush_all() -> int:
    """Flush every feed file still open; returns how many."""
    flushed = 0
    for file in list(_OPEN):
        if not file.closed:
            file.flush()
            flushed += 1
    return flushed
