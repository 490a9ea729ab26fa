"""429/503 with Retry-After: the site that asked waits, the others go on (a real crawl, a fault-injecting server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from corpus.backoff import retry_after_seconds

ROOT = Path(__file__).parents[1]

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
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                host = self.headers.get("Host", "").split(":")[0]
                if host == "127.0.0.1" and self.path not in seen:
                    seen.add(self.path)
                    server.first_429 = server.first_429 or time.time()
                    self.send_response(429)
                    self.send_header("Retry-After", "3")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = b"<html><body>ok</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def test_retry_after_slows_down_only_the_site_that_asked(tmp_path):
    server = Throttling()
    spider = tmp_path / "two_sites.py"
    spider.write_text(SPIDER)
    out = tmp_path / "out.jsonl"
    env = {k: v for k, v in os.environ.items() if k not in ("ELASTICSEARCH_URL", "CORPUS_ES_HOSTS")}
    result = subprocess.run([sys.executable, "-m", "scrapy", "runspider", str(spider), "-a", f"port={server.port}",
                             "-O", str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    items = [json.loads(line) for line in out.read_text().splitlines()]
    hosts = sorted((i["url"].split("/")[2].split(":")[0], i["status"]) for i in items)
    assert hosts == [("127.0.0.1", 200)] * 3 + [("localhost", 200)] * 3  # every page in the end, none given up
    throttled = [i["at"] for i in items if "127.0.0.1" in i["url"]]
    other = [i["at"] for i in items if "localhost" in i["url"]]
    assert min(throttled) - server.first_429 >= 2.5  # the 429 site waited its Retry-After ...
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
