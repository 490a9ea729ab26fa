"""Reading one archived record back: what ``corpus show-source`` prints."""

from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator


class ArchiveError(ValueError):
    """An archived record that cannot be read, or that is not what the item says it is (one line)."""


@dataclass
class Source:
    """An archived response: its URL, date, HTTP status and headers, and its body (content-decoded)."""

    url: str
    fetched_at: str
    record_type: str
    status: str | None
    http_headers: list[tuple[str, str]]
    body: bytes


def read_source(directory: str | Path, where: dict[str, Any]) -> Source:
    """The record ``where`` (an item's ``archive``) points at, its payload digest checked.

    Raises:
        ArchiveError: no such file, no record at that place, another record there, or a
            payload that no longer matches its digest.
    """
    path = Path(directory) / str(where.get("file", ""))
    try:
        with open(path, "rb") as f:
            f.seek(int(where["offset"]))
            data = f.read(int(where["length"]))
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise ArchiveError(f"cannot read {path}: {exc}") from None
    try:
        record = next(iter(ArchiveIterator(io.BytesIO(data))))
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        digest = record.rec_headers.get_header("WARC-Payload-Digest") or record.rec_headers.get_header(
            "WARC-Block-Digest")
        raw = record.raw_stream.read()
    except Exception as exc:  # warcio's own errors: a truncated or foreign member
        raise ArchiveError(f"{path} at {where.get('offset')}: no WARC record ({type(exc).__name__}: {exc})") from None
    if record_id != where.get("record_id"):
        raise ArchiveError(f"{path} at {where.get('offset')}: record {record_id}, not {where.get('record_id')}")
    if digest and not matches_digest(digest, raw):
        raise ArchiveError(f"{path}: record {record_id} no longer matches its digest {digest}")
    http = record.http_headers
    body = decoded_body(raw, http.get_header("Content-Encoding") if http else None)
    return Source(url=record.rec_headers.get_header("WARC-Target-URI"),
                  fetched_at=record.rec_headers.get_header("WARC-Date"), record_type=record.rec_type,
                  status=http.get_statuscode() if http else None, http_headers=list(http.headers) if http else [],
                  body=body)


def scrapy_response(url: str, status: int | str | None, http_headers: list[tuple[str, str]], body: bytes,
                    content_type: str | None = None) -> Any:
    """An archived response as Scrapy hands it to a spider: ``body`` content-decoded (so the headers that
    described the encoded body are left out), of the Response class its type and body call for.
    ``content_type`` stands in for a record without HTTP headers (a rendered page)."""
    from scrapy.http import Headers
    from scrapy.responsetypes import responsetypes

    headers = Headers([(k, v) for k, v in http_headers
                       if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")])
    if not http_headers and content_type:
        headers["Content-Type"] = content_type
    cls = responsetypes.from_args(headers=headers, url=url, body=body)
    return cls(url=url, status=int(status or 200), headers=headers, body=body)


def matches_digest(digest: str, payload: bytes) -> bool:
    algorithm, _, value = digest.partition(":")
    if algorithm.lower() != "sha1":
        return True  # another algorithm: not checked here
    return base64.b32encode(hashlib.sha1(payload).digest()).decode() == value.upper()


def decoded_body(payload: bytes, encoding: str | None) -> bytes:
    """The body as the crawl parsed it: the content encoding the server applied undone."""
    import gzip
    import zlib

    kind = (encoding or "").strip().lower()
    try:
        if kind in ("gzip", "x-gzip"):
            return gzip.decompress(payload)
        if kind == "deflate":
            try:
                return zlib.decompress(payload)
            except zlib.error:
                return zlib.decompress(payload, -zlib.MAX_WBITS)
        if kind == "br":
            import brotli  # type: ignore[import-not-found]

            return bytes(brotli.decompress(payload))
    except (OSError, zlib.error, ImportError):
        return payload
    return payload
