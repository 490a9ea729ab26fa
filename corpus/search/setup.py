"""Create or update index templates, indices and aliases; report the cluster's state.

:func:`setup` is idempotent: it compares what is there with what
:mod:`corpus.search.templates` describes (by a hash kept in each template's
``_meta``) and returns a list of what it changed (empty when nothing was
needed). New fields of the current mapping version are added to the live
index in place; anything else needs a new version and a reindex.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from elasticsearch import AsyncElasticsearch, BadRequestError, NotFoundError

from corpus.search.config import EsConfig
from corpus.search.templates import KINDS, index_name, index_template


def _hash(body: dict[str, Any]) -> str:
    return hashlib.sha1(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]


async def setup(client: AsyncElasticsearch, config: EsConfig, replicas: int = 0) -> list[str]:
    """Make templates, versioned indices and aliases match this code.

    Returns:
        One line per change, e.g. ``"created index corpus-articles-v1 (alias corpus-articles)"``.
    """
    changes: list[str] = []
    for kind in KINDS:
        name = config.alias(kind)
        body = index_template(config.prefix, kind, replicas)
        body["_meta"]["hash"] = _hash(body)
        try:
            current = await client.indices.get_index_template(name=name)
            meta = current["index_templates"][0]["index_template"].get("_meta", {})
            present = meta.get("hash")
        except NotFoundError:
            present = None
        if present != body["_meta"]["hash"]:
            await client.indices.put_index_template(name=name, **body)
            changes.append(f"{'updated' if present else 'created'} index template {name}")
        index = index_name(config.prefix, kind)
        if not await client.indices.exists(index=index):
            try:
                await client.indices.create(index=index, aliases={name: {"is_write_index": True}})
                changes.append(f"created index {index} (alias {name})")
                continue
            except BadRequestError as exc:
                # another crawl created it a moment ago (two crawls starting on a fresh cluster): check it below
                if exc.error != "resource_already_exists_exception":
                    raise
        if not await client.indices.exists_alias(name=name, index=index):
            await client.indices.put_alias(index=index, name=name, is_write_index=True)
            changes.append(f"added alias {name} -> {index}")
        mapping = await client.indices.get_mapping(index=index)
        live_mappings = mapping[index]["mappings"]
        live = live_mappings.get("properties", {})
        wanted = body["template"]["mappings"]
        missing = {k: v for k, v in wanted["properties"].items() if k not in live}
        if missing:
            await client.indices.put_mapping(index=index, properties=missing)
            changes.append(f"added fields to {index}: {', '.join(sorted(missing))}")
        if live_mappings.get("_meta", {}).get("analysis") != wanted["_meta"]["analysis"]:
            changes += await _update_analysis(client, index, body["template"]["settings"]["analysis"], wanted, live)
    return changes


def _search_analyzers(field: dict[str, Any]) -> Any:
    """The search analyzers of a field and its sub-fields and properties (what a mapping update may change)."""
    return (field.get("search_analyzer"),
            {k: _search_analyzers(v) for k, v in field.get("fields", {}).items()},
            {k: _search_analyzers(v) for k, v in field.get("properties", {}).items()})


async def _update_analysis(client: AsyncElasticsearch, index: str, analysis: dict[str, Any],
                           wanted: dict[str, Any], live: dict[str, Any]) -> list[str]:
    """New analysis settings (the entity synonyms) on a live index: closed for a moment, as Elasticsearch
    requires for analysis changes; then the text fields get their search analyzer."""
    await client.indices.close(index=index)
    try:
        await client.indices.put_settings(index=index, settings={"analysis": analysis})
    finally:
        await client.indices.open(index=index)
        await client.cluster.health(index=index, wait_for_status="yellow", timeout="30s")
    changed = {k: v for k, v in wanted["properties"].items()
               if k in live and _search_analyzers(v) != _search_analyzers(live[k])}
    await client.indices.put_mapping(index=index, properties=changed, meta=wanted["_meta"])
    return [f"updated the search analysis (entity synonyms) of {index}"]


async def status(client: AsyncElasticsearch, config: EsConfig) -> dict[str, Any]:
    """Cluster health and, per alias, its indices and document count."""
    health = await client.cluster.health()
    result: dict[str, Any] = {"cluster": health.get("cluster_name"), "health": health.get("status"), "indices": {}}
    for kind in KINDS:
        alias = config.alias(kind)
        try:
            aliases = await client.indices.get_alias(name=alias)
            count = (await client.count(index=alias))["count"]
            result["indices"][alias] = {"indices": sorted(aliases), "count": count}
        except NotFoundError:
            result["indices"][alias] = {"indices": [], "count": None}
    return result
