"""Kibana's saved objects import API: wait until Kibana is ready, import with overwrite, report each object.

:func:`import_objects` sends NDJSON to ``POST /api/saved_objects/_import?overwrite=true`` (in a
space when given), after waiting for ``/api/status`` to report Kibana available.
"""

from __future__ import annotations

import asyncio
import base64
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


class KibanaError(RuntimeError):
    """Kibana cannot be reached, refuses the credentials, or is not ready in time."""


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


async def wait_ready(session: Any, target: KibanaTarget, timeout: float, poll: float = 2.0) -> None:
    """Wait until ``/api/status`` says Kibana is available; :class:`KibanaError` after ``timeout``."""
    import aiohttp

    deadline = time.monotonic() + timeout
    last = "no answer"
    while True:
        try:
            async with session.get(target.url + "/api/status", headers=target.headers()) as resp:
                if resp.status in (401, 403):
                    raise KibanaError(f"Kibana at {target.url} refused the credentials (HTTP {resp.status}); "
                                      "check --api-key or --user/--password (KIBANA_API_KEY, KIBANA_USERNAME, "
                                      "KIBANA_PASSWORD)")
                try:
                    body = await resp.json(content_type=None)
                except ValueError:
                    body = None
                level = (((body or {}).get("status") or {}).get("overall") or {}).get("level")
                if resp.status == 200 and level in ("available", None):
                    return
                last = f"HTTP {resp.status}" + (f", status {level}" if level else "")
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            last = f"{type(exc).__name__}: {exc}"
        if time.monotonic() >= deadline:
            raise KibanaError(f"Kibana at {target.url} was not ready after {timeout:.0f} s (last: {last})")
        await asyncio.sleep(poll)


async def import_objects(target: KibanaTarget, ndjson: bytes, timeout: float = 120.0) -> dict[str, Any]:
    """Import saved objects with overwrite; returns Kibana's answer (``success``, results, ``errors``)."""
    import aiohttp

    connector = aiohttp.TCPConnector(ssl=True if target.verify_certs else False)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
        await wait_ready(session, target, timeout)
        form = aiohttp.FormData()
        form.add_field("file", ndjson, filename="saved_objects.ndjson", content_type="application/ndjson")
        async with session.post(target.api("/api/saved_objects/_import"), params={"overwrite": "true"},
                                data=form, headers=target.headers()) as resp:
            body = await resp.json(content_type=None)
            if resp.status in (401, 403):
                raise KibanaError(f"Kibana refused the import (HTTP {resp.status}): {body.get('message', body)}")
            if resp.status != 200:
                raise KibanaError(f"Kibana answered HTTP {resp.status}: {body.get('message', body)}")
            return body


def report(result: dict[str, Any], out: Any) -> int:
    """One line per object: ``ok`` or the error Kibana gave; 0 when all were imported."""
    for done in result.get("successResults", []):
        title = (done.get("meta") or {}).get("title", "")
        out.write(f"ok     {done.get('type')} {done.get('id')} {title}\n")
    for error in result.get("errors", []):
        detail = error.get("error") or {}
        reason = detail.get("type", "error")
        if detail.get("references"):
            reason += " " + ", ".join(f"{r.get('type')}:{r.get('id')}" for r in detail["references"])
        if detail.get("message"):
            reason += f": {detail['message']}"
        out.write(f"error  {error.get('type')} {error.get('id')} {error.get('title', '')}: {reason}\n")
    count = len(result.get("successResults", []))
    out.write(f"{count} imported, {len(result.get('errors', []))} failed\n")
    return 0 if result.get("success") and not result.get("errors") else 1
