"""What a set of WARC files holds for reprocessing: its article pages, each with its comment pages.

:func:`scan` reads the record headers of every file once (the payloads are only decompressed
in passing, never parsed) and returns one :class:`Task` per archived article page. In the
crawl's own archives (``corpus.archive.middleware``) the page's ``metadata`` record says
which responses were article pages and which were comment pages of which article, so a
reprocess reads exactly the pages the crawl built items from. In other WARC files (no such
records) every HTML response with a 2xx status is a candidate, and the page itself decides
(:mod:`corpus.pagekind`), as for a page an outlet's feed lists.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

logger = logging.getLogger(__name__)

SUFFIXES = (".warc.gz", ".warc")
_HTML = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class FileInfo:
    """What a WARC file's ``warcinfo`` record says about the crawl that wrote it."""

    path: str
    spider: str | None = None  # isPartOf: the outlet spider's name
    outlet_base: str = ""  # the outlet's own base URL
    fetched_base: str = ""  # where the pages were fetched from (a mirror), when not the outlet's
    crawl_run: str | None = None
    comments: bool = True  # whether the crawl read reader comments
    # written by this project's crawler with metadata records that name its article and comment pages (files
    # of other crawlers, and of this one before it wrote them, have none: their pages judge themselves)
    roles: bool = False
    source: str = "crawl"  # where its pages came from: crawl, or ccnews for the records a CC-NEWS backfill kept


@dataclass
class Entry:
    """One archived response (or rendered page) that may be read again."""

    path: str
    offset: int
    length: int
    url: str
    fetched_at: str
    record_id: str
    payload_digest: str
    status: int | None
    content_type: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def where(self) -> dict[str, Any]:
        """The item's ``archive`` reference to this record (what ``corpus show-source`` reads)."""
        return {"file": Path(self.path).name, "offset": self.offset, "length": self.length,
                "record_id": self.record_id, "payload_digest": self.payload_digest, "fetched_at": self.fetched_at}


@dataclass
class Task:
    """One article page to read again, with the comment pages the crawl fetched for it, in order."""

    info: FileInfo
    article: Entry
    comment_pages: list[Entry] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return 1 + len(self.comment_pages)


def archive_files(paths: Iterable[str | Path]) -> list[Path]:
    """The WARC files among ``paths`` (a folder gives the files under it), sorted by name, each once.

    Raises:
        ValueError: a path that does not exist, or no WARC file at all.
    """
    found: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for candidate in sorted(path.rglob("*")):
                if candidate.is_file() and candidate.name.endswith(SUFFIXES):
                    found[candidate.resolve()] = None
        elif path.is_file():
            found[path.resolve()] = None
        else:
            raise ValueError(f"{path}: no such file or folder")
    if not found:
        raise ValueError(f"no WARC files ({', '.join(SUFFIXES)}) in {', '.join(str(p) for p in paths)}")
    return sorted(found, key=lambda p: (p.name, str(p)))


def _fields(payload: bytes) -> dict[str, str]:
    """The ``name: value`` lines of a warcinfo record (application/warc-fields)."""
    values = {}
    for line in payload.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            values[name.strip()] = value.strip()
    return values


def _status(record: Any) -> int | None:
    if record.http_headers is None:
        return None
    try:
        return int(record.http_headers.get_statuscode())
    except (TypeError, ValueError):
        return None


def scan_file(path: Path, counts: Counter[str]) -> tuple[FileInfo, list[Entry]]:
    """The warcinfo and the responses of one file, each with its metadata record's JSON (when it has one).

    A truncated or damaged file gives what it holds up to the damage (counted as ``damaged files``).
    """
    info = FileInfo(str(path))
    entries: list[Entry] = []
    metadata: dict[str, dict[str, Any]] = {}
    with open(path, "rb") as f:
        records = ArchiveIterator(f)
        try:
            for record in records:
                kind = record.rec_type
                headers = record.rec_headers
                if kind == "warcinfo":
                    values = _fields(record.content_stream().read())
                    info = FileInfo(
                        str(path), spider=values.get("isPartOf") or None,
                        outlet_base=values.get("corpus-outlet-base-url", ""),
                        fetched_base=values.get("corpus-fetched-base-url", ""),
                        crawl_run=values.get("corpus-crawl-run") or None,
                        comments=values.get("corpus-comments", "true") != "false",
                        roles="corpus-crawl-run" in values, source=values.get("corpus-source") or "crawl")
                elif kind == "metadata" and (headers.get_header("Content-Type") or "").startswith("application/json"):
                    target = headers.get_header("WARC-Concurrent-To")
                    try:
                        value = json.loads(record.content_stream().read())
                    except ValueError:
                        value = None
                    if target and isinstance(value, dict):
                        metadata[target] = value
                elif kind in ("response", "resource"):
                    if kind == "response":
                        content_type = record.http_headers.get_header("Content-Type") if record.http_headers else ""
                    else:
                        content_type = headers.get_header("Content-Type") or ""
                    records.read_to_end(record)
                    entries.append(Entry(
                        str(path), records.get_record_offset(), records.get_record_length(),
                        headers.get_header("WARC-Target-URI") or "", headers.get_header("WARC-Date") or "",
                        headers.get_header("WARC-Record-ID") or "",
                        headers.get_header("WARC-Payload-Digest") or headers.get_header("WARC-Block-Digest") or "",
                        200 if kind == "resource" else _status(record), content_type or ""))
                    counts["records"] += 1
        except Exception as exc:  # warcio's errors for a truncated or foreign member: keep what came before
            counts["damaged files"] += 1
            logger.error("%s: cannot read on after offset %s (%s: %s); the records before it are used",
                         path, records.get_record_offset(), type(exc).__name__, exc)
    for entry in entries:
        entry.meta = metadata.get(entry.record_id, {})
    return info, entries


def is_html_page(status: int | str | None, content_type: str | None) -> bool:
    """A page a crawl would parse: a 2xx answer of HTML (or of no declared type)."""
    try:
        code = int(status or 0)
    except ValueError:
        return False
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    return 200 <= code < 300 and (not kind or kind in _HTML)


def scan(files: list[Path], *, outlets: set[str] | None = None, since: date | None = None,
         outlet_of: Any = None) -> tuple[list[Task], Counter[str]]:
    """The article pages of ``files`` to read again, oldest file first, and what the scan counted.

    Args:
        outlets: only these outlets (spider names).
        since: only pages fetched on or after this day (UTC).
        outlet_of: ``(FileInfo, url) -> outlet name`` for files that do not name their outlet.
    """
    counts: Counter[str] = Counter()
    tasks: list[Task] = []
    by_record: dict[str, Task] = {}
    for path in files:
        info, entries = scan_file(path, counts)
        counts["files"] += 1
        for entry in entries:
            role = entry.meta.get("role")
            if info.roles and role is None:
                continue  # a feed, listing, sitemap or robots.txt of a crawl
            if not is_html_page(entry.status, entry.content_type):
                continue
            if role == "comments":
                task = by_record.get(entry.meta.get("article_record") or "")
                if task is not None:
                    task.comment_pages.append(entry)
                continue
            outlet = info.spider or (outlet_of(info, entry.url) if outlet_of else None)
            if outlets is not None and outlet not in outlets:
                continue
            if since is not None and entry.fetched_at[:10] < since.isoformat():
                continue
            task = Task(info, entry)
            tasks.append(task)
            by_record[entry.record_id] = task
    return tasks, counts
