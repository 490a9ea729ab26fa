"""Connection resets, timeouts, an unreachable robots.txt: retried a bounded number of times, then given up."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).parents[1]

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
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                hits[self.path] += 1
                if self.path in ("/robots.txt", "/always-reset") or (self.path == "/flaky" and hits[self.path] <= 2):
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    self.connection.close()  # a reset, no answer
                    return
                if self.path == "/slow":
                    time.sleep(3)
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


def test_resets_and_timeouts_are_retried_a_bounded_number_of_times(tmp_path):
    server = Faulty()
    spider = tmp_path / "faults.py"
    spider.write_text(SPIDER)
    out = tmp_path / "out.jsonl"
    env = {k: v for k, v in os.environ.items() if k not in ("ELASTICSEARCH_URL", "CORPUS_ES_HOSTS")}
    result = subprocess.run([sys.executable, "-m", "scrapy", "runspider", str(spider), "-a", f"port={server.port}",
                             "-O", str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    got = {json.loads(line)["path"]: json.loads(line)["status"] for line in out.read_text().splitlines()}
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
        hits = self.hits
        port_holder: list[int] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                hits[self.path] += 1
                if self.path.startswith("/loop/"):
                    target = f"/loop/{int(self.path.rsplit('/', 1)[1]) + 1}"
                elif self.path == "/away":
                    target = f"http://localhost:{port_holder[0]}/elsewhere"
                else:
                    body = b"<html><body>ok</body></html>"
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_response(302)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        port_holder.append(self.port)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def test_redirect_loops_end_at_the_limit_and_other_domains_are_not_followed(tmp_path):
    server = Redirecting()
    spider = tmp_path / "redirects.py"
    spider.write_text(REDIRECT_SPIDER)
    out = tmp_path / "out.jsonl"
    env = {k: v for k, v in os.environ.items() if k not in ("ELASTICSEARCH_URL", "CORPUS_ES_HOSTS")}
    result = subprocess.run([sys.executable, "-m", "scrapy", "runspider", str(spider), "-a", f"port={server.port}",
                             "-O", str(out), "-s", "LOG_LEVEL=DEBUG"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert [json.loads(line)["url"].rsplit("/", 1)[1] for line in out.read_text().splitlines()] == ["fine"]
    loops = [p for p in server.hits if p.startswith("/loop/")]
    assert len(loops) == 6  # the first request and REDIRECT_MAX_TIMES (5) redirects, then discarded
    assert "max redirections reached" in result.stderr
    assert "/elsewhere" not in server.hits  # never followed to the other host
    assert "'offsite/filtered': 1" in result.stderr or "'offsite/domains': 1" in result.stderr
