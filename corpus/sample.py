"""The bundled sample site: an outlet's saved pages served locally under the URLs they stand for.

The sample pages are the test fixtures of the checkout (``tests/fixtures/<outlet>``): real
Cicero pages (the seed article with its reader comments, section fronts, the RSS feed and the
sitemap). ``meta.json`` beside them maps each file to the URL it stands for. The server
answers a request for that URL's path and query with the file, after replacing the outlet's
origin (``https://www.cicero.de``) in the body by its own, so absolute links lead back to it.
Anything else is a 404. Every requested path is recorded, so tests can check what a crawl
asked for. Runs on 127.0.0.1 with an OS-assigned port; no network is used.

``make demo`` (:mod:`corpus.demo`) crawls it; the tests use it as their fixture server
(``tests/mockserver.py``). Run by hand: ``python -m corpus.sample cicero`` prints the base URL.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from corpus.paths import PROJECT_ROOT

FIXTURES = (PROJECT_ROOT or Path.cwd()) / "tests" / "fixtures"

_TYPES = {".html": "text/html; charset=utf-8", ".xml": "application/xml; charset=utf-8"}


class FixtureServer:
    """Serve ``tests/fixtures/<outlet>`` of the checkout on 127.0.0.1.

    Args:
        outlet: fixture folder name.
        origin: the outlet's real origin, rewritten to the server's own.
        overrides: extra ``{path_and_query: (status, body, content_type)}`` responses.
        delays: ``{path_prefix: seconds or a callable}``: answer matching requests that much later
            (slow pages), or once the callable has returned (pages held until a test says so).
    """

    def __init__(self, outlet: str, origin: str, overrides: dict | None = None,
                 delays: dict[str, float | Callable[[], object]] | None = None) -> None:
        self.folder = FIXTURES / outlet
        self.origin = origin.rstrip("/")
        self.routes: dict[str, Path] = {}
        for name, url in json.loads((self.folder / "meta.json").read_text("utf-8")).items():
            parts = urlsplit(url)
            self.routes[parts.path + (f"?{parts.query}" if parts.query else "")] = self.folder / name
        self.overrides = dict(overrides or {})
        self.delays = dict(delays or {})
        self.requests: list[str] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                with server._lock:
                    server.requests.append(self.path)
                for prefix, delay in server.delays.items():
                    if self.path.startswith(prefix):
                        delay() if callable(delay) else time.sleep(delay)
                        break
                status, body, ctype = server.respond(self.path)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def respond(self, path: str) -> tuple[int, bytes, str]:
        path = path.split("#", 1)[0]
        if path in self.overrides:
            return self.overrides[path]
        file = self.routes.get(path)
        if file is None:
            return 404, b"<html><body>Not found</body></html>", "text/html; charset=utf-8"
        body = file.read_text("utf-8").replace(self.origin, self.base_url)
        return 200, body.encode("utf-8"), _TYPES.get(file.suffix, "application/octet-stream")

    def requested(self, path: str) -> bool:
        return any(r.split("#", 1)[0] == path for r in self.requests)

    def __enter__(self) -> FixtureServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


if __name__ == "__main__":
    with FixtureServer(sys.argv[1] if len(sys.argv) > 1 else "cicero", "https://www.cicero.de") as srv:
        print(srv.base_url, flush=True)
        threading.Event().wait()
