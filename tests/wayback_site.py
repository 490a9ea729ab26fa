"""A local Wayback Machine: the CDX API and raw captures (``/web/<timestamp>id_/<url>``) on 127.0.0.1.

The CDX answers follow the real API's JSON output: a header row, a row per capture, and, when
more captures remain, an empty row and a row with the resume key (``showResumeKey=true``);
``from``/``to``, ``matchType=prefix``, the ``statuscode`` and ``mimetype`` filters are applied,
and pages hold at most ``page_size`` rows whatever ``limit`` asks, so that paging is exercised.
The first CDX request is answered 429 with ``Retry-After`` (as archive.org does under load).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Snapshot:
    timestamp: str
    original: str
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    listed_type: str = "text/html"
    redirect_to: str | None = None  # another timestamp the capture URL redirects to


class WaybackServer:
    def __init__(self, snapshots: list[Snapshot], page_size: int = 2, retry_after: int = 1) -> None:
        self.snapshots = snapshots
        self.page_size = page_size
        self.retry_after = retry_after
        self.requests: list[tuple[float, str]] = []
        self._limited = False
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                site.requests.append((time.monotonic(), self.path))
                status, headers, body = site.answer(self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, path: str) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(path)
        if parts.path == "/cdx/search/cdx":
            if not self._limited:
                self._limited = True
                return 429, {"Retry-After": str(self.retry_after), "Content-Type": "text/plain"}, b"Too Many Requests"
            return 200, {"Content-Type": "application/json"}, self.cdx(parse_qs(parts.query))
        if parts.path.startswith("/web/"):
            stamp, _, original = parts.path[len("/web/"):].partition("id_/")
            original += f"?{parts.query}" if parts.query else ""
            for snap in self.snapshots:
                if snap.timestamp == stamp and snap.original == original:
                    if snap.redirect_to:
                        return 302, {"Location": f"{self.url}/web/{snap.redirect_to}id_/{original}"}, b""
                    return 200, {"Content-Type": snap.content_type}, snap.body
            for snap in self.snapshots:  # the capture a redirect points at
                if snap.redirect_to == stamp and snap.original == original:
                    return 200, {"Content-Type": snap.content_type}, snap.body
        return 404, {"Content-Type": "text/plain"}, b"not found"

    def cdx(self, query: dict[str, list[str]]) -> bytes:
        prefix = query["url"][0]
        since, until = query.get("from", ["0"])[0], query.get("to", ["99999999999999"])[0]
        rows = [s for s in self.snapshots
                if s.original.split("://", 1)[1].startswith(prefix) and since <= s.timestamp[:len(since)]
                and s.timestamp[:len(until)] <= until and s.listed_type == "text/html"]
        start = int(query.get("resumeKey", ["0"])[0] or 0)
        limit = min(int(query.get("limit", ["10000"])[0]), self.page_size)
        page = rows[start:start + limit]
        body: list[list[str]] = [["timestamp", "original", "mimetype", "statuscode"]]
        body += [[s.timestamp, s.original, s.listed_type, "200"] for s in page]
        if start + limit < len(rows):
            body += [[], [str(start + limit)]]
        return json.dumps(body).encode()

    def requested(self, fragment: str) -> list[tuple[float, str]]:
        return [(t, p) for t, p in self.requests if fragment in p]

    def __enter__(self) -> WaybackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
