"""Small HTTP servers that misbehave on purpose, and running a one-file spider against them.

``serve(respond)`` starts a server on 127.0.0.1 whose GET handler is ``respond(handler)``;
``answer(handler, status, body, headers)`` writes a reply; ``runspider(tmp_path, source, *args)``
runs ``scrapy runspider`` on a spider written to a file, with the project's settings and no
Elasticsearch, and returns the process result and the items it wrote.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[1]


def serve(respond: Callable[[BaseHTTPRequestHandler], None]) -> int:
    """Start a server whose every GET is handled by ``respond``; returns its port."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            respond(self)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


def answer(handler: BaseHTTPRequestHandler, status: int = 200, body: bytes = b"<html><body>ok</body></html>",
           headers: dict[str, str] | None = None) -> None:
    handler.send_response(status)
    for key, value in {"Content-Type": "text/html", **(headers or {})}.items():
        handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def runspider(tmp_path: Path, source: str, *args: str) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    spider = tmp_path / "spider_under_test.py"
    spider.write_text(source)
    out = tmp_path / "out.jsonl"
    env = {k: v for k, v in os.environ.items() if k not in ("ELASTICSEARCH_URL", "CORPUS_ES_HOSTS")}
    # the crawl record, the local state and dead-letter files stay in the test's directory
    env["CORPUS_OUTPUT_DIR"] = str(tmp_path / "data")
    result = subprocess.run([sys.executable, "-m", "scrapy", "runspider", str(spider), *args, "-O", str(out)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return result, [json.loads(line) for line in out.read_text().splitlines()]
