"""Bulk indexing that never loses an item: retries, a circuit breaker, a dead-letter file.

:class:`Indexer` is shared by the Scrapy pipeline and ``corpus index``. Items
are buffered and written in bulk requests; before writing, one ``mget`` reads
what the index holds for those ids (see :mod:`corpus.search.documents`), and
each write is conditional on the stored sequence number, so two crawlers
updating the same article never overwrite each other's counts.

What happens to an item that cannot be written:

* a rejected document (mapping error, strict mapping) goes to the dead-letter
  file with the reason Elasticsearch gave; it is counted and logged with its id;
* 429/5xx for single items and version conflicts are retried with back-off;
* when Elasticsearch is unreachable the whole batch is retried with back-off,
  then written to the dead-letter file; for ``outage_pause`` seconds after that,
  batches go straight to the dead-letter file (the crawl does not stall), then
  Elasticsearch is tried again;
* 401/403 stop indexing at once (:class:`EsAuthError` names the setting to
  fix); everything after that goes to the dead-letter file.

The dead-letter file is JSON Lines of the items themselves plus a
``_deadletter`` object (reason, time); ``corpus index FILE`` indexes it later
through this same class.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout
from elasticsearch import ApiError, AsyncElasticsearch, AuthenticationException, AuthorizationException

from corpus.normalize.text import valid_unicode
from corpus.normalize.urls import MAX_ID_BYTES, bounded_id
from corpus.search.config import EsConfig
from corpus.search.documents import (
    STORED_FIELDS,
    STORY_FIELDS,
    STORY_UPDATE,
    is_older,
    kind_of,
    merge,
    superseded,
    to_document,
)
from corpus.search.setup import setup
from corpus.state import earlier
from corpus.stats import Counts
from corpus.tz import BERLIN

logger = logging.getLogger(__name__)

_RETRY_STATUS = {429, 500, 502, 503, 504}


class Stats(Protocol):
    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None: ...


_BLOCK = "cluster_block_exception"


def _is_block(exc: Exception) -> bool:
    """A 403 for an index or cluster block (read-only index, flood-stage disk watermark), not for credentials."""
    body = getattr(exc, "body", None)
    text = json.dumps(body) if isinstance(body, dict | list) else str(body or exc)
    return _BLOCK in text


class _SetupError(RuntimeError):
    """Elasticsearch refused to create the templates, indices or aliases."""


def _size(item: dict[str, Any]) -> int:
    """Bytes of the item as JSON (what it adds to a bulk request, near enough)."""
    return len(json.dumps(item, ensure_ascii=False, default=str).encode("utf-8", "surrogatepass"))


def refusal_reason(exc: Exception) -> str:
    """Elasticsearch's own words for a refusal: the error type and reason of its body, else the message."""
    body = getattr(exc, "body", None)
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        cause = (error.get("root_cause") or [error])[0]
        if isinstance(cause, dict):
            return f"{cause.get('type', '?')}: {str(cause.get('reason', ''))[:500]}"
    if isinstance(error, str):
        return error[:500]
    return str(getattr(exc, "message", exc))[:500]


class EsAuthError(RuntimeError):
    """Elasticsearch refused our credentials; retrying will not help."""


class DeadLetter:
    """Append-only JSON Lines file of items that could not be indexed (opened on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._file: Any = None

    def write(self, items: Iterable[dict[str, Any]], reason: str) -> int:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a", encoding="utf-8")
        at = datetime.now(BERLIN).isoformat(timespec="seconds")
        lines = []
        for item in items:
            record = dict(item)
            record["_deadletter"] = {"reason": reason[:2000], "at": at}
            # valid Unicode whatever the item holds (a lone surrogate would stop the write half way)
            lines.append(valid_unicode(json.dumps(record, ensure_ascii=False, default=str)) + "\n")
        self._file.write("".join(lines))
        written = len(lines)
        self._file.flush()  # a crash after this line loses nothing
        self.count += written
        return written

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _fold_story_updates(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A story update of an article in the same batch changes that article before it is sent; of several
    updates of one article only the last counts (each carries every story field)."""
    updates: dict[str, dict[str, Any]] = {}
    for item in batch:
        if item.get("item_type") == STORY_UPDATE:
            updates[item["id"]] = item
    if not updates:
        return batch
    kept = []
    for item in batch:
        if item.get("item_type") == STORY_UPDATE:
            continue
        if item.get("item_type") == "article" and item.get("id") in updates:
            update = updates.pop(item["id"])
            item.update({name: update.get(name) for name in STORY_FIELDS})
        kept.append(item)
    return kept + list(updates.values())


class Indexer:
    """Buffered, retrying bulk writer for article and comment items.

    Args:
        config: connection and batching settings.
        deadletter: where items go that cannot be indexed.
        stats: a Scrapy stats collector (or anything with ``inc_value``).
        client: an existing client (tests, benchmarks); one is made from ``config`` otherwise.
    """

    def __init__(
        self,
        config: EsConfig,
        deadletter: DeadLetter,
        stats: Stats | None = None,
        client: AsyncElasticsearch | None = None,
    ) -> None:
        self.config = config
        self.deadletter = deadletter
        self.stats: Stats = stats if stats is not None else Counts()
        self.client = client or AsyncElasticsearch(**config.client_kwargs())
        self._own_client = client is None
        self.outage_pause = config.outage_pause
        self.buffer: list[dict[str, Any]] = []
        self.buffer_bytes = 0
        self._lock = asyncio.Lock()
        self._inflight: asyncio.Future[None] | None = None
        self._writes: set[asyncio.Future[None]] = set()  # background writes of full buffers
        self._skip_until = 0.0
        self.auth_error: str | None = None
        self.indexed = 0
        self.failed = 0
        self.last_error: str | None = None
        self.setup_done = False
        self.changes: list[str] = []

    # --- public ---------------------------------------------------------------------
    async def check(self) -> str | None:
        """``None`` when Elasticsearch answers; otherwise a one-line reason."""
        try:
            health = await self.client.cluster.health(timeout="5s")
        except AuthenticationException as exc:
            self.auth_error = self._auth_message(exc)
            return self.auth_error
        except AuthorizationException as exc:
            # a user allowed to write may still lack the cluster privilege "monitor": try the writes
            return f"cannot read the cluster health (HTTP 403: {refusal_reason(exc)}); indexing is tried all the same"
        except (TransportConnectionError, ConnectionTimeout, ApiError) as exc:
            return f"{type(exc).__name__}: {exc}"
        if health.get("status") == "red":
            return "cluster health is red"
        return None

    async def add(self, item: dict[str, Any]) -> None:
        """Queue one item (an article or comment dict); write when the buffer is full.

        The buffer is full at ``chunk_size`` items or ``chunk_bytes`` bytes of JSON, whichever
        comes first. A full buffer is written in the background while the next one fills; at most
        one write is in flight, so a slow node slows the crawl down instead of piling up memory.
        Ids longer than Elasticsearch allows are bounded here as the spiders bound them
        (:func:`~corpus.normalize.urls.bounded_id`), so an old file agrees with new crawls.
        """
        for key in ("id", "parent_id"):
            value = item.get(key)
            if isinstance(value, str) and len(value) > MAX_ID_BYTES // 4:
                bounded = bounded_id(value)
                if bounded != value:
                    item[key] = bounded
                    self.stats.inc_value("corpus/es/long_ids")
        size = _size(item)
        if self.buffer and self.buffer_bytes + size > self.config.chunk_bytes:
            await self._write_buffer()  # this item would make the request too large: it starts the next
        self.buffer.append(item)
        self.buffer_bytes += size
        if len(self.buffer) >= self.config.chunk_size or self.buffer_bytes >= self.config.chunk_bytes:
            await self._write_buffer()

    async def _write_buffer(self) -> None:
        """Write the buffer in the background, once the write before it is done."""
        if self._inflight is not None:
            await self._inflight
        if not self.buffer:  # another item's add took the buffer while this one waited
            return
        batch, self.buffer, self.buffer_bytes = self.buffer, [], 0
        self._inflight = task = asyncio.ensure_future(self._write_locked(batch))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _write_locked(self, batch: list[dict[str, Any]]) -> None:
        async with self._lock:
            await self._write(batch)

    async def flush(self) -> None:
        """Write everything buffered, after the writes in flight."""
        while self._writes:
            await asyncio.gather(*self._writes)
        self._inflight = None
        async with self._lock:
            while self.buffer:
                batch, self.buffer, self.buffer_bytes = self.buffer, [], 0
                await self._write(batch)

    async def close(self) -> None:
        await self.flush()
        self.deadletter.close()
        if self._own_client:
            await self.client.close()

    # --- internals ------------------------------------------------------------------
    def _dead(self, items: list[dict[str, Any]], reason: str) -> None:
        for item in items:
            item.pop("_blocked", None)  # a mark of the last attempt, not part of the item
        written = self.deadletter.write(items, reason)
        self.stats.inc_value("corpus/es/deadlettered", written)

    def _auth_message(self, exc: Exception) -> str:
        """Authentication (401: who we are) and authorisation (403: what we may do) need different fixes."""
        who = "API key (CORPUS_ES_API_KEY)" if self.config.api_key else (
            f"user {self.config.username!r}" if self.config.username else "anonymous user")
        if isinstance(exc, AuthenticationException):
            setting = "CORPUS_ES_API_KEY" if self.config.api_key else "CORPUS_ES_USERNAME / CORPUS_ES_PASSWORD"
            return (f"Elasticsearch refused the credentials (HTTP 401); check {setting} "
                    f"(or CORPUS_ES_API_KEY). Indexing stopped; items go to {self.deadletter.path}")
        return (f"Elasticsearch: the {who} is not allowed to write (HTTP 403: {refusal_reason(exc)}); it needs "
                f"the index privileges create_index, index and manage on {self.config.alias('*')}. Indexing "
                f"stopped; items go to {self.deadletter.path}")

    async def _write(self, batch: list[dict[str, Any]]) -> None:
        """Write one batch that has left the buffer: every item ends indexed or dead-lettered.

        If the write is cancelled all the same (a forced stop), the whole batch goes to the
        dead-letter file before the cancellation goes on: some of it may be indexed already,
        which a later ``corpus index`` of that file only updates.
        """
        try:
            await self._write_batch(batch)
        except asyncio.CancelledError:
            self.stats.inc_value("corpus/es/interrupted")
            self._dead(batch, "write interrupted by the end of the crawl (some items may be indexed already)")
            raise

    async def _write_batch(self, batch: list[dict[str, Any]]) -> None:
        if self.auth_error:
            self._dead(batch, self.auth_error)
            return
        if time.monotonic() < self._skip_until:
            self._dead(batch, f"Elasticsearch {self.last_error}")
            return
        # One document per id in a bulk request: later duplicates wait for the next round.
        pending = _fold_story_updates(batch)
        while pending:
            seen: set[str] = set()
            round_items: list[dict[str, Any]] = []
            later: list[dict[str, Any]] = []
            for item in pending:
                try:
                    kind_of(item)
                except ValueError as exc:
                    self.failed += 1
                    self.stats.inc_value("corpus/es/failed")
                    self._dead([item], f"invalid item: {exc}")
                    continue
                (later if item["id"] in seen else round_items).append(item)
                seen.add(item["id"])
            await self._write_round(round_items)
            pending = later

    async def _write_round(self, items: list[dict[str, Any]]) -> None:
        """Write items (one per id) until each is indexed or dead-lettered.

        What Elasticsearch refuses for good is dead-lettered at once (a rejected document, a request
        refused as a whole is first halved until the bad item is alone; bad credentials stop
        indexing); what it cannot take now (unreachable, a write block, 429/5xx) is retried with
        back-off, then dead-lettered, and batches after it go straight there for ``outage_pause``.
        """
        attempt = 0
        todo = items
        while todo:
            try:
                await self._ensure_setup()
                todo = await self._bulk(todo)
            except _SetupError as exc:
                self.failed += len(todo)
                self.stats.inc_value("corpus/es/failed", len(todo))
                logger.error("Elasticsearch setup failed (%s); %d items written to %s", exc, len(todo),
                             self.deadletter.path)
                self._dead(todo, f"setup failed: {exc}")
                return
            except (AuthenticationException, AuthorizationException) as exc:
                if not _is_block(exc):
                    self.auth_error = self._auth_message(exc)
                    logger.error("%s", self.auth_error)
                    self.stats.inc_value("corpus/es/auth_error")
                    self._dead(todo, self.auth_error)
                    return
                # a write block (disk watermark, an admin): it will be lifted
                self.last_error = f"index write block: {refusal_reason(exc)}"
                unavailable = True
            except (TransportConnectionError, ConnectionTimeout, ApiError) as exc:
                status = getattr(exc, "status_code", None)
                if isinstance(exc, ApiError) and status not in _RETRY_STATUS:
                    await self._refused(todo, status, refusal_reason(exc))
                    return
                self.last_error = f"unreachable: {type(exc).__name__}: {exc}"
                unavailable = True
            else:
                if not todo:
                    return
                # items to retry (429/5xx per item, version conflicts, write blocks)
                unavailable = all(item.get("_blocked") for item in todo)
            if attempt >= self.config.max_retries:
                if unavailable:
                    self._pause(todo, attempt)
                else:
                    self.failed += len(todo)
                    self.stats.inc_value("corpus/es/failed", len(todo))
                    self._dead(todo, f"still failing after {attempt + 1} attempts: {self.last_error}")
                return
            await self._backoff(attempt, self.last_error)
            attempt += 1

    async def _refused(self, todo: list[dict[str, Any]], status: int | None, reason: str) -> None:
        """The request as a whole was refused (400: an item it cannot parse; 413: too large).

        No retry of the same request will change that, so it is halved until what Elasticsearch
        cannot take is alone, and only that is dead-lettered.
        """
        if len(todo) > 1:
            self.stats.inc_value("corpus/es/split")
            logger.warning("Elasticsearch refused a bulk request of %d items (HTTP %s: %s); sending it in halves",
                           len(todo), status, reason)
            half = len(todo) // 2
            await self._write_round(todo[:half])
            await self._write_round(todo[half:])
            return
        self.failed += 1
        self.stats.inc_value("corpus/es/failed")
        logger.error("Elasticsearch refused %s %s alone (HTTP %s: %s); written to %s", todo[0].get("item_type"),
                     todo[0].get("id"), status, reason, self.deadletter.path)
        self._dead(todo, f"refused (HTTP {status}) {reason}")

    def _pause(self, todo: list[dict[str, Any]], attempt: int) -> None:
        """Elasticsearch cannot take writes now (unreachable, a write block): dead-letter the batch and send
        the next ones straight there for ``outage_pause`` seconds, then try again."""
        logger.error("Elasticsearch cannot take writes after %d attempts (%s); %d items written to %s, "
                     "trying again in %.0fs", attempt + 1, self.last_error, len(todo), self.deadletter.path,
                     self.outage_pause)
        self.stats.inc_value("corpus/es/outages")
        self._skip_until = time.monotonic() + self.outage_pause
        self._dead(todo, f"Elasticsearch {self.last_error}")

    async def _backoff(self, attempt: int, reason: str | None) -> None:
        delay = min(self.config.max_backoff, self.config.retry_backoff * (2**attempt))
        self.stats.inc_value("corpus/es/retries")
        logger.warning("Elasticsearch: retry %d in %.1fs (%s)", attempt + 1, delay, reason)
        await asyncio.sleep(delay)

    async def _stored(self, items: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
        """Stored fields and sequence numbers of the items' ids, per (alias, id)."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        by_alias: dict[str, list[str]] = {}
        for item in items:
            by_alias.setdefault(self.config.alias(kind_of(item)), []).append(item["id"])
        for alias, ids in by_alias.items():
            response = await self.client.mget(index=alias, ids=ids, source_includes=list(STORED_FIELDS))
            for doc in response["docs"]:
                if doc.get("found"):
                    found[(alias, doc["_id"])] = {
                        **doc.get("_source", {}),
                        "_seq_no": doc.get("_seq_no"),
                        "_primary_term": doc.get("_primary_term"),
                    }
        return found

    async def _ensure_setup(self) -> None:
        """Templates and aliases first, also when the node came up mid-crawl.

        Raises:
            _SetupError: Elasticsearch refused the setup (not an outage: those propagate as they are).
        """
        if self.setup_done:
            return
        try:
            self.changes = await setup(self.client, self.config)
        except (AuthenticationException, AuthorizationException):
            raise
        except ApiError as exc:
            if getattr(exc, "status_code", None) in _RETRY_STATUS:
                raise
            raise _SetupError(f"HTTP {exc.status_code}: {refusal_reason(exc)}") from exc
        self.setup_done = True
        for change in self.changes:
            logger.info("Elasticsearch setup: %s", change)

    async def _bulk(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Write one round; return the items to retry.

        New ids (the common case) cost one request: every item is first sent
        as ``create``. Only ids that already exist (409 on create) are read
        back with ``mget`` and written again, merged and conditional on the
        stored sequence number.
        """
        story_updates = [item for item in items if item.get("item_type") == STORY_UPDATE]
        if story_updates:
            items = [item for item in items if item.get("item_type") != STORY_UPDATE]
        operations: list[dict[str, Any]] = []
        for item in items:
            item.pop("_blocked", None)
            operations.append({"create": {"_index": self.config.alias(kind_of(item)), "_id": item["id"]}})
            operations.append(to_document(item))
        existing: list[dict[str, Any]] = []
        retry = await self._send(items, operations, existing)
        if existing:
            stored = await self._stored(existing)
            operations = []
            updates: list[dict[str, Any]] = []
            for item in existing:
                previous = stored.get((self.config.alias(kind_of(item)), item["id"]))
                if previous is None:  # deleted in between: create again next round
                    retry.append(item)
                    continue
                document = to_document(item)
                if is_older(document, previous):
                    # an older record (an old file, a slow worker) never replaces the stored one: it can only
                    # tell that the item was seen earlier
                    updates.append(item)
                    operations.append({"update": {
                        "_index": self.config.alias(kind_of(item)), "_id": item["id"],
                        "if_seq_no": previous["_seq_no"], "if_primary_term": previous["_primary_term"],
                    }})
                    operations.append({"doc": {"first_seen_at": earlier(previous.get("first_seen_at"),
                                                                          document.get("first_seen_at"))}})
                    continue
                history = superseded(document, previous)
                if history is not None:  # the replaced version, kept before the article is overwritten
                    updates.append(history)
                    operations.append({"index": {"_index": self.config.alias("articles-history"),
                                                 "_id": history["id"]}})
                    operations.append(history)
                updates.append(item)
                operations.append({"index": {
                    "_index": self.config.alias(kind_of(item)), "_id": item["id"],
                    "if_seq_no": previous["_seq_no"], "if_primary_term": previous["_primary_term"],
                }})
                operations.append(merge(document, previous))
            if updates:
                retry.extend(await self._send(updates, operations, None))
        if story_updates:  # after the articles they change, which may be in this batch
            operations = []
            for item in story_updates:
                item.pop("_blocked", None)
                operations.append({"update": {"_index": self.config.alias("articles"), "_id": item["id"]}})
                operations.append({"doc": {name: item.get(name) for name in STORY_FIELDS}})
            retry.extend(await self._send(story_updates, operations, None))
        return retry

    async def _send(
        self, items: list[dict[str, Any]], operations: list[dict[str, Any]], existing: list[dict[str, Any]] | None
    ) -> list[dict[str, Any]]:
        """One bulk request; sort the outcome into done, existing (409 on create), retry, dead."""
        self.stats.inc_value("corpus/es/bulk_requests")
        started = time.monotonic()
        # require_alias: never let a missing alias auto-create a concrete index under its name
        response = await self.client.bulk(operations=operations, require_alias=True)
        outcomes = Counter(str(next(iter(r.values())).get("status", 0))[0] + "xx" for r in response["items"])
        logger.info("Elasticsearch bulk: %d items in %.2f s (%s)", len(items), time.monotonic() - started,
                    ", ".join(f"{n} {status}" for status, n in sorted(outcomes.items())))
        retry: list[dict[str, Any]] = []
        for item, result in zip(items, response["items"], strict=True):
            action, outcome = next(iter(result.items()))
            status = outcome.get("status", 0)
            if item.get("item_type") == "article_version" and (200 <= status < 300 or status == 409):
                self.stats.inc_value("corpus/es/history")  # 409: that version is stored already
                continue
            if item.get("item_type") == STORY_UPDATE and status == 404 and item.get("_waits", 0) < 3:
                # the article waits for a retry itself: the update follows it
                item["_waits"] = item.get("_waits", 0) + 1
                retry.append(item)
                continue
            if item.get("item_type") == STORY_UPDATE and 200 <= status < 300:
                self.stats.inc_value("corpus/es/story_updates")
                continue
            if item.get("item_type") == STORY_UPDATE and status == 404:
                # its article is not in the index (dead-lettered or refused before it): the update goes to the
                # dead-letter file after it, and `corpus index FILE` applies it once the article is written
                self.stats.inc_value("corpus/es/story_updates_deadlettered")
                self._dead([item], "story update of an article that is not in the index")
                continue
            if 200 <= status < 300:
                self.indexed += 1
                self.stats.inc_value("corpus/es/indexed")
                self.stats.inc_value(f"corpus/es/{outcome.get('result', action)}")
                continue
            error = outcome.get("error") or {}
            reason = f"{error.get('type', status)}: {error.get('reason', '')}"
            if status == 409 and action == "create" and existing is not None:
                existing.append(item)
                continue
            if status == 409 or status in _RETRY_STATUS:
                self.last_error = reason
                retry.append(item)
                continue
            if status == 403 and error.get("type") == _BLOCK:  # a write block: retried, it will be lifted
                self.last_error = f"index write block: {reason}"
                self.stats.inc_value("corpus/es/blocked")
                item["_blocked"] = True
                retry.append(item)
                continue
            if status == 401:
                raise AuthenticationException(message=reason, meta=response.meta, body=outcome)
            if status == 403:
                raise AuthorizationException(message=reason, meta=response.meta, body=outcome)
            self.failed += 1
            self.stats.inc_value("corpus/es/failed")
            logger.error("Elasticsearch rejected %s %s: %s", item.get("item_type"), item["id"], reason)
            self._dead([item], f"rejected (HTTP {status}) {reason}")
        return retry
