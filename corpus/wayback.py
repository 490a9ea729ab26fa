"""The Wayback Machine as a source of an outlet's past: ``scrapy crawl <outlet> -a mode=wayback -a since=...``.

Discovery asks the Internet Archive's CDX API for the captures under each of the outlet's
sections (a prefix query: ``url=www.cicero.de/aussenpolitik/&matchType=prefix``) between
``since`` and ``until``: status 200, ``text/html``, collapsed by URL key (one capture per
page: the first in the range, the nearest to publication), in pages of ``limit`` rows that
follow the API's resume keys (``showResumeKey=true``: a page ends with an empty row and the
key). A listed URL in the shape of the outlet's articles is fetched as its raw capture, the
``id_`` form of the capture URL (``/web/<timestamp>id_/<url>``: the page as archived, without
the Wayback toolbar or rewritten links); a capture that redirects to another timestamp is
followed there. The page is read as the outlet's own page, at its own URL: the item's
``crawled_at`` is the capture's time, ``source`` is ``wayback`` and ``archive`` also names the
capture (``capture_url``, ``captured_at``).

Politeness towards archive.org: at most two requests at once and a second between them
(``DOWNLOAD_SLOTS`` in corpus/settings.py), ``Retry-After`` honoured on 429 and 503
(:mod:`corpus.backoff`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from corpus.tz import BERLIN

DEFAULT_URL = "https://web.archive.org"
CDX_LIMIT = 500  # rows a CDX page: the API's pages are cheap for it, and a page's links are one seen-check
_CAPTURE = re.compile(r"/web/(\d{4,14})(?:[a-z]{2}_)?/(.+)$")


def cdx_url(base: str, prefix: str, since: date, until: date | None, resume_key: str | None = None,
            limit: int = CDX_LIMIT) -> str:
    """The CDX API query for the captures of the pages under ``prefix`` (``host/path/``)."""
    params: list[tuple[str, str]] = [
        ("url", prefix), ("matchType", "prefix"), ("from", since.strftime("%Y%m%d")),
        ("filter", "statuscode:200"), ("filter", "mimetype:text/html"), ("collapse", "urlkey"),
        ("fl", "timestamp,original,mimetype,statuscode"), ("output", "json"), ("limit", str(limit)),
        ("showResumeKey", "true"),
    ]
    if until is not None:
        params.insert(3, ("to", until.strftime("%Y%m%d") + "235959"))
    if resume_key:
        params.append(("resumeKey", resume_key))
    return f"{base.rstrip('/')}/cdx/search/cdx?{urlencode(params)}"


def capture_url(base: str, timestamp: str, original: str) -> str:
    """The raw capture (``id_``) of ``original`` at ``timestamp``."""
    return f"{base.rstrip('/')}/web/{timestamp}id_/{original}"


@dataclass(frozen=True)
class Capture:
    timestamp: str
    original: str

    @property
    def captured_at(self) -> str:
        """The capture's time in Berlin, to the second (a CDX timestamp is UTC, ``YYYYMMDDhhmmss``)."""
        stamp = self.timestamp.ljust(14, "0")
        moment = datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        return moment.astimezone(BERLIN).isoformat(timespec="seconds")


def parse_capture_url(url: str) -> Capture | None:
    """The timestamp and original URL of a capture URL (``None`` for another URL)."""
    match = _CAPTURE.search(urlsplit(url).path + (f"?{urlsplit(url).query}" if urlsplit(url).query else ""))
    if not match:
        return None
    original = match.group(2)
    if not original.startswith(("http://", "https://")):  # "http:/x" as some clients collapse "//"
        original = re.sub(r"^(https?):/+", r"\1://", original)
    return Capture(match.group(1), original)


def parse_cdx(body: bytes) -> tuple[list[Capture], str | None]:
    """The captures of one CDX page (JSON output) and the resume key of the next page, if there is one.

    Raises:
        ValueError: an answer that is not the CDX API's JSON.
    """
    text = body.decode("utf-8", "replace").strip()
    if not text:
        return [], None
    try:
        rows = json.loads(text)
    except ValueError:
        raise ValueError(f"not a CDX answer in JSON: {text[:120]!r}") from None
    if not isinstance(rows, list) or not rows or not isinstance(rows[0], list):
        raise ValueError(f"not a CDX answer in JSON: {text[:120]!r}")
    header, *rest = rows
    resume: str | None = None
    if len(rest) >= 2 and rest[-2] == [] and len(rest[-1]) == 1:  # [], [key]: the next page's resume key
        resume = str(rest[-1][0])
        rest = rest[:-2]
    names = [str(name) for name in header]
    captures = []
    for row in rest:
        if len(row) != len(names):
            continue
        record: dict[str, Any] = dict(zip(names, row, strict=True))
        if str(record.get("statuscode", "200")) != "200":
            continue
        if "html" not in str(record.get("mimetype", "text/html")):
            continue
        captures.append(Capture(str(record["timestamp"]), str(record["original"])))
    return captures, resume


def prefixes(spider: Any) -> list[str]:
    """The CDX prefixes of an outlet: its sections and topic pages (``www.cicero.de/aussenpolitik/``), or
    its whole host when it names none."""
    host = urlsplit(spider.base_url).netloc
    paths = [p for p in (*spider.sections, *spider.topics) if p.strip("/")]
    if not paths:
        return [f"{host}/"]
    return list(dict.fromkeys(f"{host}/{path.strip('/')}/" for path in paths))
