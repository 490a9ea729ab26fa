"""Connection resets, timeouts, an unreachable robots.txt: retried a bounded number of times, then given up."""

from __future__ import annotations

import re
import socket
import time
from collections import Counter

from tests.faultserver import answer, runspider, serve

SPIDER = '''
import scrapy

class Faults(scrapy.Spider):
    name = "faults"
    custom_settings = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_TIMEOUT": 1, "RETRY_TIMES": 2,
                       "EXTENSIONS": {}, "ITEM_PIPELINES": {}}

    def __init__(self, port, **kwargs):
        super().__init__(**kwargs)
        self.start_urls = [f"http://127.0.0.1:{port}/{path}" for path in ("flaky", "always-reset", "slow", "fine")]

    def parse(self, response):
        yield {"path": response.url.rsplit("/", 1)[1], "status": response.status}
'''


class Faulty:
    """/robots.txt and /always-reset drop the connection; /flaky does so twice, then answers; /slow never answers
    in time; /fine answers."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()

        def respond(handler) -> None:  # type: ignore[no-untyped-def]
            path = handler.path
            self.hits[path] += 1
            if path in ("/robots.txt", "/always-reset") or (path == "/flaky" and self.hits[path] <= 2):
                handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01" + b"\x00" * 7)
                handler.connection.close()  # a reset, no answer
                return
            if path == "/slow":
                time.sleep(3)
            answer(handler)

        self.port = serve(respond)


def test_resets_and_timeouts_are_retried_a_bounded_number_of_times(tmp_path):
    server = Faulty()
    result, items = runspider(tmp_path, SPIDER, "-a", f"port={server.port}")
    got = {item["path"]: item["status"] for item in items}
    # robots.txt unreachable: Scrapy's rule is to crawl on (with a logged error)
    assert server.hits["/robots.txt"] >= 1 and "fine" in got
    assert got == {"flaky": 200, "fine": 200}  # the flaky page came through on its third try
    assert server.hits["/flaky"] == 3
    assert server.hits["/always-reset"] == 3 and server.hits["/slow"] == 3  # 1 + RETRY_TIMES, then given up
    assert f"Gave up retrying <GET http://127.0.0.1:{server.port}/always-reset>" in result.stderr
    assert f"Gave up retrying <GET http://127.0.0.1:{server.port}/slow>" in result.stderr
    # robots.txt, /always-reset and /slow: each given up after its retries
    assert re.search(r"'retry/max_reached': (\d+)", result.stderr).group(1) == "3"


REDIRECT_SPIDER = '''
import scrapy

class Redirects(scrapy.Spider):
    name = "redirects"
    allowed_domains = ["127.0.0.1"]
    custom_settings = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "ROBOTSTXT_OBEY": False,
                       "EXTENSIONS": {}, "ITEM_PIPELINES": {}}

    def __init__(self, port, **kwargs):
        super().__init__(**kwargs)
        self.start_urls = [f"http://127.0.0.1:{port}/{path}" for path in ("loop/0", "away", "fine")]

    async def start(self):
        for url in self.start_urls:  # filtered like the crawler's own requests (start_urls are not)
            yield scrapy.Request(url)

    def parse(self, response):
        yield {"url": response.url}
'''


class Redirecting:
    """/loop/N redirects to /loop/N+1 for ever; /away redirects to another host; /fine answers."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()

        def respond(handler) -> None:  # type: ignore[no-untyped-def]
            path = handler.path
            self.hits[path] += 1
            if path.startswith("/loop/"):
                return answer(handler, 302, b"", {"Location": f"/loop/{int(path.rsplit('/', 1)[1]) + 1}"})
            if path == "/away":
                return answer(handler, 302, b"", {"Location": f"http://localhost:{self.port}/elsewhere"})
            return answer(handler)

        self.port = serve(respond)


def test_redirect_loops_end_at_the_limit_and_other_domains_are_not_followed(tmp_path):
    server = Redirecting()
    result, items = runspider(tmp_path, REDIRECT_SPIDER, "-a", f"port={server.port}", "-s", "LOG_LEVEL=DEBUG")
    assert [item["url"].rsplit("/", 1)[1] for item in items] == ["fine"]
    loops = [p for p in server.hits if p.startswith("/loop/")]
    assert len(loops) == 6  # the first request and REDIRECT_MAX_TIMES (5) redirects, then discarded
    assert "max redirections reached" in result.stderr
    assert "/elsewhere" not in server.hits  # never followed to the other host
    assert "'offsite/filtered': 1" in result.stderr or "'offsite/domains': 1" in result.stderr
