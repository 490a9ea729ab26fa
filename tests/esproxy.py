"""A fault-injecting HTTP proxy in front of the real Elasticsearch test node.

``EsProxy(target, on_bulk)`` forwards every request to ``target``; for each ``_bulk`` request it
first calls ``on_bulk(n, body)`` (``n`` counts bulk requests from 1, ``body`` is the request's
bytes), which returns what to do:

* ``None``: forward at once;
* a number: wait that many seconds, then forward (a slow node, or one slower than the client's timeout);
* ``("status", code)``: answer ``code`` with an Elasticsearch-shaped error body, forward nothing
  (a refused or overloaded node).

The proxy is used by the indexing tests and the soak benchmark (bench/soak.py); it listens on
127.0.0.1 only.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Action = float | int | tuple[str, int] | None

_REASONS = {413: "content_too_long", 429: "es_rejected_execution_exception", 503: "unavailable_shards_exception",
            502: "bad_gateway", 504: "gateway_timeout", 500: "internal_server_error"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that gave up is expected
            super().handle_error(request, client_address)


class EsProxy:
    def __init__(self, target: str, on_bulk: Callable[[int, bytes], Action] | None = None) -> None:
        self.target = target.rstrip("/")
        self.on_bulk = on_bulk or (lambda n, body: None)
        self.bulk_calls = 0
        self.refused = 0
        self.forwarded_bulks = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _reply(self, status: int, headers: dict[str, str], data: bytes) -> None:
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if "/_bulk" in self.path:
                    with proxy._lock:
                        proxy.bulk_calls += 1
                        number = proxy.bulk_calls
                    action = proxy.on_bulk(number, body or b"")
                    if isinstance(action, tuple):
                        _, status = action
                        with proxy._lock:
                            proxy.refused += 1
                        error = {"error": {"type": _REASONS.get(status, "proxy_error"),
                                           "reason": f"refused by the test proxy (HTTP {status})"},
                                 "status": status}
                        self._reply(status, {"Content-Type": "application/json", "X-elastic-product": "Elasticsearch"},
                                    json.dumps(error).encode())
                        return
                    if action:
                        time.sleep(float(action))
                    with proxy._lock:
                        proxy.forwarded_bulks += 1
                request = urllib.request.Request(proxy.target + self.path, data=body, method=self.command)
                for key in ("Content-Type", "Accept", "Authorization"):
                    if self.headers.get(key):
                        request.add_header(key, self.headers[key])
                try:
                    with urllib.request.urlopen(request, timeout=60) as answer:
                        status, headers, data = answer.status, answer.headers, answer.read()
                except urllib.error.HTTPError as error:
                    status, headers, data = error.code, error.headers, error.read()
                kept = {k: headers[k] for k in ("Content-Type", "X-elastic-product") if headers.get(k)}
                self._reply(status, kept, data)

            do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _forward  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> EsProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
