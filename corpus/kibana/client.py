"""Kibana's saved objects import API: wait until Kibana can take an import, import, report each object.

:func:`import_objects` sends NDJSON to ``POST /api/saved_objects/_import`` (in a space when
given) after :func:`wait_ready` has seen ``/api/status`` answer 200 with an overall level of
``available`` or ``degraded``: a degraded Kibana (one plugin short of its best, which it often
is for minutes after a start) takes imports, so the wait says what it saw and goes on; it keeps
waiting on ``unavailable``, ``critical`` and any other answer. The import itself is retried with
back-off on what passes (no connection, HTTP 429 and 5xx), all within one ``timeout``.

By default objects that already exist are kept (``overwrite=false``): Kibana answers each with a
``conflict`` error, which :func:`report` counts as kept, not failed, so an analyst's edits to an
imported dashboard survive the next import. ``overwrite=True`` replaces them.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

# what the wait accepts: Kibana answers imports in both (a degraded Kibana is up, one service short)
READY_LEVELS = ("available", "degraded")
FIRST_RETRY = 1.0  # seconds before the first retry of an import; doubled each time up to MAX_RETRY_DELAY
MAX_RETRY_DELAY = 30.0


class KibanaError(RuntimeError):
    """Kibana cannot be reached, refuses the credentials or the import, or is not ready in time."""


@dataclass
class KibanaTarget:
    url: str
    space: str | None = None
    api_key: str | None = None
    username: str | None = None
    password: str | None = None
    verify_certs: bool = True

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"--kibana-url must be an http(s) URL such as http://localhost:5601, not {self.url!r}")
        self.url = self.url.rstrip("/")

    def api(self, path: str) -> str:
        space = f"/s/{self.space}" if self.space and self.space != "default" else ""
        return f"{self.url}{space}{path}"

    def headers(self) -> dict[str, str]:
        headers = {"kbn-xsrf": "corpus"}
        if self.api_key:
            headers["Authorization"] = f"ApiKey {self.api_key}"
        elif self.username:
            token = base64.b64encode(f"{self.username}:{self.password or ''}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        return headers


def _now() -> float:
    """The clock of the deadlines (tests replace it together with :func:`_sleep`)."""
    return time.monotonic()


async def _sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


def _quiet(_message: str) -> None:
    return None


def _parse(text: str) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _message(body: Any, text: str) -> str:
    """What an answer says: its ``message`` (Kibana's error shape), else the start of its text."""
    if isinstance(body, dict):
        for key in ("message", "error"):
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key])
    text = " ".join(text.split())
    return text[:200] if text else "no message"


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), ``None`` when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _transient(status: int) -> bool:
    return status == 429 or status >= 500


async def wait_ready(session: Any, target: KibanaTarget, timeout: float, poll: float = 2.0,
                     say: Callable[[str], None] = _quiet) -> str | None:
    """Wait until ``/api/status`` answers 200 with level ``available`` or ``degraded``.

    Returns the level seen (``None`` when a 200 answer gives none). A degraded Kibana is told
    through ``say`` with its summary; so is each new reason to wait. :class:`KibanaError` on
    refused credentials, or after ``timeout`` with the last answer seen.
    """
    import aiohttp

    deadline = _now() + timeout
    last = "no answer"
    told = ""
    while True:
        try:
            async with session.get(target.url + "/api/status", headers=target.headers()) as resp:
                if resp.status in (401, 403):
                    raise KibanaError(f"Kibana at {target.url} refused the credentials (HTTP {resp.status}); "
                                      "check --api-key or --user/--password (KIBANA_API_KEY, KIBANA_USERNAME, "
                                      "KIBANA_PASSWORD)")
                body = _parse(await resp.text())
                overall = (((body if isinstance(body, dict) else {}).get("status") or {}).get("overall") or {})
                level, summary = overall.get("level"), overall.get("summary")
                if resp.status == 200 and (level in READY_LEVELS or level is None):
                    if level == "degraded":
                        say(f"Kibana is degraded ({summary or 'no summary given'}); importing anyway")
                    return str(level) if level else None
                last = f"HTTP {resp.status}" + (f", status {level}" if level else "") + \
                       (f": {summary}" if summary else "")
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            last = f"{type(exc).__name__}: {exc}"
        if _now() >= deadline:
            raise KibanaError(f"Kibana at {target.url} was not ready after {timeout:.0f} s (last: {last})")
        if last != told:
            say(f"Kibana is not ready yet ({last}); waiting")
            told = last
        await _sleep(poll)


async def _post(session: Any, target: KibanaTarget, ndjson: bytes, overwrite: bool) -> tuple[int, Any, str, Any]:
    import aiohttp

    form = aiohttp.FormData()  # a FormData is sent once: a new one per attempt
    form.add_field("file", ndjson, filename="saved_objects.ndjson", content_type="application/ndjson")
    async with session.post(target.api("/api/saved_objects/_import"),
                            params={"overwrite": "true" if overwrite else "false"},
                            data=form, headers=target.headers()) as resp:
        text = await resp.text()
        return resp.status, _parse(text), text, resp.headers.get("Retry-After")


async def import_objects(target: KibanaTarget, ndjson: bytes, timeout: float = 120.0, overwrite: bool = False,
                         say: Callable[[str], None] = _quiet) -> dict[str, Any]:
    """Wait for Kibana, then import; returns Kibana's answer (``success``, ``successResults``, ``errors``).

    ``timeout`` bounds the wait and the retries together (one attempt is always made once Kibana
    is ready). Retried with back-off (1 s, 2 s, 4 s ... at most 30 s, or the ``Retry-After`` Kibana
    asks for): connection errors and timeouts, HTTP 429 and 5xx. Anything else (400, 401, 403,
    413 ...) is a :class:`KibanaError` at once.
    """
    import aiohttp

    deadline = _now() + timeout
    connector = aiohttp.TCPConnector(ssl=True if target.verify_certs else False)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
        await wait_ready(session, target, timeout, say=say)
        delay = FIRST_RETRY
        attempt = 0
        while True:
            attempt += 1
            retry_after: float | None = None
            try:
                status, body, text, retry_header = await _post(session, target, ndjson, overwrite)
            except (TimeoutError, aiohttp.ClientError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if status in (401, 403):
                    raise KibanaError(f"Kibana refused the import (HTTP {status}): {_message(body, text)}")
                if status == 200 and isinstance(body, dict):
                    return body
                problem = f"HTTP {status}: {_message(body, text)}"
                if not _transient(status):
                    raise KibanaError(f"Kibana did not take the import ({problem})")
                retry_after = _retry_after(retry_header)
            wait = max(delay, retry_after or 0.0)
            if _now() + wait > deadline:
                raise KibanaError(f"the import failed {attempt} time{'s' if attempt > 1 else ''} and the "
                                  f"{timeout:.0f} s of --timeout are up (last: {problem})")
            say(f"import attempt {attempt} failed ({problem}); trying again in {wait:.0f} s")
            await _sleep(wait)
            delay = min(delay * 2, MAX_RETRY_DELAY)


def report(result: dict[str, Any], out: Any, overwrite: bool = False) -> int:
    """One line per object: ``ok``, ``kept`` (it exists and ``overwrite`` is off) or the error Kibana gave.

    0 when nothing failed: an object kept because it exists is not a failure.
    """
    for done in result.get("successResults", []):
        title = (done.get("meta") or {}).get("title", "")
        copy = f" (as {done['destinationId']})" if done.get("destinationId") else ""
        out.write(f"ok     {done.get('type')} {done.get('id')} {title}{copy}\n")
    kept = failed = 0
    for error in result.get("errors", []):
        detail = error.get("error") or {}
        title = error.get("title") or (error.get("meta") or {}).get("title", "")
        if detail.get("type") == "conflict" and not overwrite:
            out.write(f"kept   {error.get('type')} {error.get('id')} {title} (exists; --overwrite to replace)\n")
            kept += 1
            continue
        reason = detail.get("type", "error")
        if detail.get("references"):
            reason += " " + ", ".join(f"{r.get('type')}:{r.get('id')}" for r in detail["references"])
        if detail.get("message"):
            reason += f": {detail['message']}"
        out.write(f"error  {error.get('type')} {error.get('id')} {title}: {reason}\n")
        failed += 1
    count = len(result.get("successResults", []))
    out.write(f"{count} imported, {kept} kept, {failed} failed\n")
    if failed:
        return 1
    return 0 if result.get("success") or kept else 1
