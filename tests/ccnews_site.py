"""A local copy of Common Crawl's CC-NEWS layout, for tests and the CC-NEWS benchmark.

WARC files are written as CC-NEWS writes them (warcio): a ``warcinfo`` record, then one
``response`` record per fetch, the payload stored decoded and de-chunked, the original
``Content-Encoding`` kept as ``X-Crawler-Content-Encoding``. Each month has its listing,
``crawl-data/CC-NEWS/YYYY/MM/warc.paths.gz``, of paths relative to the data host, and
:class:`DataHost` serves the folder over HTTP on 127.0.0.1 (optionally holding back the
files whose name matches a pattern, to stop a backfill half way).
"""

from __future__ import annotations

import gzip
import io
import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
EVAL = ROOT.parent / "shared" / "eval"


@dataclass
class Capture:
    url: str
    body: bytes
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    location: str | None = None
    date: str = "2024-06-01T08:00:00Z"  # after every page's own date


def outlet_pages() -> list[Capture]:
    """The Cicero fixture articles at their real URLs, and the eval pages of outlets the project crawls."""
    from corpus.extract.article import spider_for

    meta = json.loads((FIXTURES / "cicero" / "meta.json").read_text("utf-8"))
    pages = [Capture(url, (FIXTURES / "cicero" / name).read_bytes())
             for name, url in meta.items() if name.startswith("article_") and "page1" not in name
             and name != "article_old.html"]
    for record in _truth("dev"):
        if spider_for(record["url"]) is not None:
            pages.append(Capture(record["url"], _page(record), date=_fetched(record)))
    return pages


def other_pages() -> list[Capture]:
    """Pages of sites the project does not crawl, a redirect, and records that are not HTML."""
    from corpus.extract.article import spider_for

    pages = [Capture(r["url"], _page(r), date=_fetched(r)) for r in _truth("dev") if spider_for(r["url"]) is None][:6]
    pages += [
        Capture("https://www.cicero.de/aussenpolitik/alt", b"", status=301,
                location="https://www.cicero.de/aussenpolitik/neu"),
        Capture("https://www.cicero.de/sites/default/files/bild.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 64,
                content_type="image/jpeg"),
        Capture("https://www.spiegel.de/api/ticker.json", b'{"items": []}', content_type="application/json"),
    ]
    return pages


def _truth(name: str) -> list[dict[str, Any]]:
    path = EVAL / name / "truth.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()] if path.is_file() else []


def _fetched(record: dict[str, Any]) -> str:
    """An eval page's fetch time (its ``crawl_date``) as a WARC-Date."""
    return record["crawl_date"][:19] + "Z"


def _page(record: dict[str, Any]) -> bytes:
    from corpus.extract.article import read_html

    return read_html(EVAL / "dev" / record["file"]).encode("utf-8")


def write_warc(path: Path, captures: list[Capture], cut: int = 0) -> None:
    """A CC-NEWS-like WARC file of the captures; ``cut`` bytes cut off its end (a truncated last record)."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True, warc_version="1.0")
    writer.write_record(writer.create_warcinfo_record(path.name, {
        "software": "StormCrawler (test copy)", "isPartOf": "CC-NEWS", "format": "WARC File Format 1.0"}))
    for capture in captures:
        headers = [("Content-Type", capture.content_type), ("Content-Length", str(len(capture.body))),
                   ("X-Crawler-Content-Encoding", "gzip")]
        if capture.location:
            headers.append(("Location", capture.location))
        reason = {200: "OK", 301: "Moved Permanently"}.get(capture.status, "")
        http = StatusAndHeaders(f"{capture.status} {reason}", headers, protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            capture.url, "response", payload=io.BytesIO(capture.body), length=len(capture.body),
            http_headers=http, warc_headers_dict={"WARC-Date": capture.date}))
    data = buffer.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data[:len(data) - cut] if cut else data)


def write_listing(root: Path, year: int, month: int, names: list[str]) -> list[str]:
    """The month's ``warc.paths.gz`` naming ``names`` (files under its ``segments/`` folder); their paths."""
    folder = f"crawl-data/CC-NEWS/{year:04d}/{month:02d}"
    paths = [f"{folder}/{name}" for name in names]
    (root / folder).mkdir(parents=True, exist_ok=True)
    (root / folder / "warc.paths.gz").write_bytes(gzip.compress(("\n".join(paths) + "\n").encode()))
    return paths


class DataHost:
    """``root`` served on 127.0.0.1; requests for paths matching ``hold`` wait until :meth:`release` (or 60 s)."""

    def __init__(self, root: Path, hold: str | None = None) -> None:
        self.root = root
        self.hold = re.compile(hold) if hold else None
        self.released = threading.Event()
        self.requests: list[str] = []
        host = self

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(host.root), **kwargs)

            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                host.requests.append(self.path)
                if host.hold is not None and host.hold.search(self.path):
                    host.released.wait(60)
                try:
                    super().do_GET()
                except (BrokenPipeError, ConnectionResetError):  # a client stopped half way
                    pass

            def copyfile(self, source: Any, outputfile: Any) -> None:
                # the file straight from the kernel (sendfile), as a data host serves it: the client's
                # reading is what a benchmark measures, not this server copying bytes through Python
                outputfile.flush()
                self.connection.sendfile(source)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def release(self) -> None:
        self.released.set()

    def __enter__(self) -> DataHost:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()
        time.sleep(0.05)
        self.server.shutdown()
        self.server.server_close()
