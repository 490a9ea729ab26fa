"""429/503 with Retry-After: the site that asked waits, the others go on (a real crawl, a fault-injecting server)."""

from __future__ import annotations

import time
from email.utils import formatdate

from corpus.backoff import retry_after_seconds
from tests.faultserver import answer, runspider, serve

SPIDER = '''
import time
import scrapy

class TwoSites(scrapy.Spider):
    name = "two-sites"
    custom_settings = {"ROBOTSTXT_OBEY": False, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
                       "CONCURRENT_REQUESTS_PER_DOMAIN": 1, "EXTENSIONS": {}, "ITEM_PIPELINES": {}}

    def __init__(self, port, **kwargs):
        super().__init__(**kwargs)
        self.start_urls = [f"http://{host}:{port}/{host}/{n}" for host in ("127.0.0.1", "localhost") for n in range(3)]

    def parse(self, response):
        yield {"url": response.url, "status": response.status, "at": time.time()}
'''


class Throttling:
    """127.0.0.1 answers each page first with 429 (Retry-After: 3 s), then 200; localhost always 200."""

    def __init__(self) -> None:
        self.first_429: float | None = None
        seen: set[str] = set()

        def respond(handler) -> None:  # type: ignore[no-untyped-def]
            host = handler.headers.get("Host", "").split(":")[0]
            if host == "127.0.0.1" and handler.path not in seen:
                seen.add(handler.path)
                self.first_429 = self.first_429 or time.time()
                return answer(handler, 429, b"", {"Retry-After": "3"})
            return answer(handler)

        self.port = serve(respond)


def test_retry_after_slows_down_only_the_site_that_asked(tmp_path):
    server = Throttling()
    result, items = runspider(tmp_path, SPIDER, "-a", f"port={server.port}")
    hosts = sorted((i["url"].split("/")[2].split(":")[0], i["status"]) for i in items)
    assert hosts == [("127.0.0.1", 200)] * 3 + [("localhost", 200)] * 3  # every page in the end, none given up
    throttled = [i["at"] for i in items if "127.0.0.1" in i["url"]]
    other = [i["at"] for i in items if "localhost" in i["url"]]
    # the 429 site waited its full Retry-After, counted from the answer (the slot's random jitter, which
    # RANDOMIZE_DOWNLOAD_DELAY turns on, would make it anything from 1.5 to 4.5 s) ...
    assert min(throttled) - server.first_429 >= 2.95
    assert max(other) - server.first_429 < 2.0  # ... while the other site went on at once
    assert "'corpus/retry_after/429': 3" in result.stderr
    assert "answered 429: waiting 3s (Retry-After)" in result.stderr


def test_retry_after_values():
    assert retry_after_seconds(b"120") == 120
    assert retry_after_seconds("  7 ") == 7
    soon = formatdate(time.time() + 30, usegmt=True)
    assert 25 <= retry_after_seconds(soon) <= 31
    assert retry_after_seconds(formatdate(time.time() - 60, usegmt=True)) == 0
    assert retry_after_seconds("sometime") is None and retry_after_seconds(None) is None
