"""The crawler's own signals (Scrapy's signal manager carries them like its built-in ones).

``checkpoint``: sent by the JOBDIR frontier (:mod:`corpus.frontier`) before it forgets finished
requests, and awaited: every receiver writes what it holds, so that the items of those requests
are durable. The Elasticsearch pipeline flushes its bulk buffer, the local state records the
comments the output now holds; JSON Lines feeds are flushed by their storage
(:mod:`corpus.feedstorage`). Receivers may be coroutines.
"""

checkpoint = object()
