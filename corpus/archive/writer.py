"""WARC 1.1 files of a crawl: one gzip member per record, rotated by size.

Written with warcio (Webrecorder's library, the reference for reading and writing WARC in
Python: it computes block and payload digests, and its ``warcio check`` and ``warcio index``
are how the files are checked and indexed). Each file starts with a ``warcinfo`` record;
each fetched page gives a ``request`` and a ``response`` record that refer to each other
(``WARC-Concurrent-To``). A page rendered by the browser is not an HTTP message: it is kept
as a ``resource`` record of the rendered HTML, marked ``WARC-Resource-Type: rendered-dom``
(an extension field; readers ignore fields they do not know).

The response record holds the HTTP message as it arrived: status line, headers and the body
before Scrapy decoded its content encoding (gzip, brotli ...); only ``Transfer-Encoding`` is
dropped, as the body is already de-chunked. The payload digest is therefore the digest of
what the server sent. Such a record is still a gzip member of its own, of stored blocks: the
body does not shrink a second time.
"""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import zlib
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

logger = logging.getLogger(__name__)

# hop-by-hop and framing headers that no longer describe the stored body
_DROPPED_HEADERS = frozenset({b"transfer-encoding"})


@dataclass(frozen=True)
class Provenance:
    """Where the archived response of an item is: what ``corpus show-source`` reads."""

    file: str  # the WARC file's name, in the archive directory
    offset: int  # of the record's gzip member
    length: int  # of the gzip member, in bytes
    record_id: str  # WARC-Record-ID
    payload_digest: str  # WARC-Payload-Digest of the response body as received
    fetched_at: str  # WARC-Date

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ArchiveWriter:
    """Appends records to ``<directory>/<prefix>-<UTC time>-<n>.warc.gz``, a new file once one holds
    ``max_bytes`` or more.

    Every record is flushed when written: a crawl killed at any moment leaves whole records
    behind (and at most one incomplete gzip member, which ``warcio check`` reports).
    """

    def __init__(self, directory: str | os.PathLike[str], prefix: str, max_bytes: int = 1 << 30,
                 info: dict[str, Any] | None = None, compression: int = 1) -> None:
        self.directory = Path(directory)
        self.prefix = prefix
        self.max_bytes = max(1, max_bytes)
        self.compression = min(9, max(1, compression))
        self.info = dict(info or {})
        self.bytes_written = 0
        self.files: list[str] = []
        self._file: io.BufferedWriter | None = None
        self._buffer = io.BytesIO()
        self._writer: WARCWriter | None = None
        self._started = datetime.now(UTC).strftime("%Y%m%d%H%M%S")

    # --- files ---

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{self.prefix}-{self._started}-{len(self.files) + 1:05d}.warc.gz"
        path = self.directory / name
        self._file = open(path, "ab")  # noqa: SIM115 (kept open for the crawl; closed in close())
        # records are serialised uncompressed, then each is compressed as a gzip member of its own at
        # our level (warcio's own gzip writer always uses level 9: four times the CPU for 3% less disk)
        self._buffer = io.BytesIO()
        self._writer = WARCWriter(self._buffer, gzip=False, warc_version="1.1")
        self.files.append(name)
        info = {"software": "corpus-crawler (warcio)", "format": "WARC File Format 1.1",
                "hostname": socket.gethostname(), **self.info}
        self._write(self._writer.create_warcinfo_record(name, info))

    def _current(self) -> WARCWriter:
        if self._file is not None and self._file.tell() >= self.max_bytes:
            self.close()
        if self._writer is None:
            self._open()
        assert self._writer is not None
        return self._writer

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._file = self._writer = None

    def _write(self, record: Any, level: int | None = None) -> tuple[int, int]:
        assert self._file is not None and self._writer is not None
        offset = self._file.tell()
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.write_record(record)
        member = zlib.compressobj(self.compression if level is None else level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        self._file.write(member.compress(self._buffer.getvalue()) + member.flush())
        self._file.flush()
        length = self._file.tell() - offset
        self.bytes_written += length
        return offset, length

    # --- records ---

    def write_exchange(self, url: str, request: Any, response: Any, rendered: bool = False,
                       metadata: dict[str, Any] | None = None) -> Provenance:
        """The request and response of one fetch (Scrapy objects); the response's provenance.

        ``metadata``: what the crawl knows of the page beyond its bytes (its role, a news sitemap's
        date), written after the response as a ``metadata`` record of JSON concurrent to it.
        """
        writer = self._current()
        fetched_at = writer.curr_warc_date()
        ip = str(getattr(response, "ip_address", None) or "") or None
        common = {"WARC-Date": fetched_at, **({"WARC-IP-Address": ip} if ip else {})}
        if rendered:
            record = writer.create_warc_record(
                url, "resource", payload=io.BytesIO(response.body), length=len(response.body),
                warc_content_type=_content_type(response) or "text/html",
                warc_headers_dict={**common, "WARC-Resource-Type": "rendered-dom"})
        else:
            status = f"{response.status} {_reason(response.status)}"
            headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, values in response.headers.items()
                       if k.lower() not in _DROPPED_HEADERS for v in values]
            http = StatusAndHeaders(status, headers, protocol=_protocol(response))
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(response.body),
                                               length=len(response.body), http_headers=http,
                                               warc_headers_dict=dict(common))
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        if request is not None and not rendered:
            self._write_request(writer, url, request, record_id, fetched_at)
        name = self.files[-1]
        # a body the server already compressed (Content-Encoding: gzip, br ...) does not shrink again: its
        # record is a gzip member of stored blocks (level 0), which costs a copy instead of a deflate pass
        encoded = not rendered and bool(response.headers.get(b"Content-Encoding"))
        offset, length = self._write(record, 0 if encoded else None)
        if metadata:
            body = json.dumps(metadata, ensure_ascii=False, sort_keys=True).encode("utf-8")
            self._write(writer.create_warc_record(
                url, "metadata", payload=io.BytesIO(body), length=len(body), warc_content_type="application/json",
                warc_headers_dict={"WARC-Date": fetched_at, "WARC-Concurrent-To": record_id}))
        digest = record.rec_headers.get_header("WARC-Payload-Digest") or record.rec_headers.get_header(
            "WARC-Block-Digest") or ""
        return Provenance(name, offset, length, record_id, digest, fetched_at)

    def write_copy(self, record: Any, payload: bytes) -> Provenance:
        """A copy of another archive's response record (warcio's, its payload read as ``payload``): the same
        record id, date, target and HTTP headers; the provenance of the copy."""
        writer = self._current()
        headers = record.rec_headers
        keep = {name: headers.get_header(name) for name in ("WARC-Record-ID", "WARC-Date", "WARC-IP-Address")
                if headers.get_header(name)}
        copy = writer.create_warc_record(headers.get_header("WARC-Target-URI"), "response",
                                         payload=io.BytesIO(payload), length=len(payload),
                                         http_headers=record.http_headers, warc_headers_dict=keep)
        name = self.files[-1]
        offset, length = self._write(copy)
        digest = copy.rec_headers.get_header("WARC-Payload-Digest") or ""
        return Provenance(name, offset, length, copy.rec_headers.get_header("WARC-Record-ID"), digest,
                          copy.rec_headers.get_header("WARC-Date"))

    def _write_request(self, writer: WARCWriter, url: str, request: Any, response_id: str, date: str) -> None:
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, values in request.headers.items() for v in values]
        if not any(k.lower() == "host" for k, _ in headers):
            headers.insert(0, ("Host", parts.netloc))
        http = StatusAndHeaders(f"{request.method} {target} HTTP/1.1", headers, is_http_request=True)
        body = request.body or b""
        record = writer.create_warc_record(url, "request", payload=io.BytesIO(body), length=len(body),
                                           http_headers=http,
                                           warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": response_id})
        self._write(record)


def _content_type(response: Any) -> str | None:
    value = response.headers.get(b"Content-Type")
    return value.decode("latin-1") if value else None


def _protocol(response: Any) -> str:
    protocol = getattr(response, "protocol", None) or "HTTP/1.1"
    return protocol.upper() if protocol.upper().startswith("HTTP/") else "HTTP/1.1"


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
