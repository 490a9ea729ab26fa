"""One row per article (or comment), for pandas, R and spreadsheets: CSV, Parquet or JSON Lines.

Dates come three ways so that no tool has to guess: ``published_at`` as the outlet gave it (ISO
8601 with its precision: ``2023-09-07T10:40:00+02:00``, ``2023-09-06`` or ``2023-09``),
``published_date`` (the Europe/Berlin calendar day; empty for a month-only date) and
``published_utc`` (a UTC timestamp: the moment for minute precision, 00:00 Berlin of the day or
of the month's first day otherwise), with ``published_precision`` saying which. Lists (authors,
countries ...) are lists in Parquet and JSON Lines and ``; ``-joined in CSV. Provenance columns
say where each row came from and what made it: ``source``, ``crawl_run``, ``fetched_at``,
``archive`` (the web-archive record, once archives are kept), ``software_version``,
``terms_digest``. Parquet is written with pyarrow.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from corpus.research.query import berlin_day
from corpus.tz import BERLIN

Format = Literal["csv", "parquet", "jsonl"]

ARTICLE_COLUMNS: dict[str, str] = {  # name -> type: str, int, float, bool, list, timestamp
    "id": "str", "url": "str", "canonical_url": "str", "outlet": "str", "outlet_name": "str",
    "section": "str", "kicker": "str", "title": "str", "teaser": "str", "body": "str", "word_count": "int",
    "authors": "list", "agencies": "list", "author_organizations": "list", "published_at": "str",
    "published_precision": "str", "published_date": "str", "published_utc": "timestamp", "modified_at": "str",
    "keywords": "list", "countries": "list", "pairs": "list", "topic_score": "float", "in_scope": "bool",
    "paywalled": "bool", "comment_count": "int", "language": "str", "image_url": "str", "version": "int",
    "first_seen_at": "str", "last_seen_at": "str", "content_hash": "str", "source": "str", "crawl_run": "str",
    "fetched_at": "str", "archive": "str", "software_version": "str", "terms_digest": "str",
    "story_id": "str", "duplicate_of": "str", "similarity": "float", "wire_copy": "bool",
    "entities_person": "list", "entities_place": "list", "entities_org": "list",
}
COMMENT_COLUMNS: dict[str, str] = {
    "id": "str", "article_id": "str", "article_url": "str", "article_title": "str", "article_countries": "list",
    "outlet": "str", "author": "str", "title": "str", "text": "str", "parent_id": "str", "position": "int",
    "published_at": "str", "published_precision": "str", "published_date": "str", "published_utc": "timestamp",
    "source": "str", "crawl_run": "str", "fetched_at": "str", "archive": "str", "software_version": "str",
    "entities_person": "list", "entities_place": "list", "entities_org": "list",
}


def published_utc(published: str | None, precision: str | None) -> datetime | None:
    """The UTC moment of a publication date (the start of the Berlin day or month when that is all there is)."""
    if not published:
        return None
    try:
        if precision == "month" or len(published) == 7:
            local = datetime.fromisoformat(published[:7] + "-01").replace(tzinfo=BERLIN)
        elif len(published) == 10:
            local = datetime.fromisoformat(published).replace(tzinfo=BERLIN)
        else:
            local = datetime.fromisoformat(published.replace("Z", "+00:00"))
            if local.tzinfo is None:
                local = local.replace(tzinfo=BERLIN)
    except ValueError:
        return None
    return local.astimezone(UTC)


def row(item: dict[str, Any], comments: bool = False) -> dict[str, Any]:
    """The export row of one item."""
    columns = COMMENT_COLUMNS if comments else ARTICLE_COLUMNS
    image: dict[str, Any] = item["image"] if isinstance(item.get("image"), dict) else {}
    archive = item.get("archive")
    derived = {
        "published_date": (day.isoformat() if (day := berlin_day(item.get("published_at"),
                                                                 item.get("published_precision"))) else None),
        "published_utc": published_utc(item.get("published_at"), item.get("published_precision")),
        "fetched_at": item.get("crawled_at"),
        "image_url": image.get("url"),
        "archive": json.dumps(archive, ensure_ascii=False) if isinstance(archive, dict) else archive,
        "source": item.get("source") or "crawl",
    }
    entities = item["entities"] if isinstance(item.get("entities"), dict) else {}
    for kind in ("person", "place", "org"):
        derived[f"entities_{kind}"] = entities.get(kind)
    out = {}
    for name, kind in columns.items():
        value = derived[name] if name in derived else item.get(name)
        if kind == "list":
            value = [str(v) for v in value] if isinstance(value, list) else ([] if value is None else [str(value)])
        out[name] = value
    return out


def _arrow_schema(columns: dict[str, str]) -> Any:
    import pyarrow as pa

    types = {"str": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(),
             "list": pa.list_(pa.string()), "timestamp": pa.timestamp("us", tz="UTC")}
    return pa.schema([(name, types[kind]) for name, kind in columns.items()])


def write(rows: Iterable[dict[str, Any]], path: Path, fmt: Format, comments: bool = False,
          batch: int = 2000) -> int:
    """Write ``rows`` (from :func:`row`) to ``path``; returns how many. Parquet is written in row groups of
    ``batch`` rows, so memory holds one batch, not the export."""
    columns = COMMENT_COLUMNS if comments else ARTICLE_COLUMNS
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = _arrow_schema(columns)
        with pq.ParquetWriter(path, schema, compression="zstd") as writer:
            chunk: list[dict[str, Any]] = []
            for record in rows:
                chunk.append(record)
                if len(chunk) >= batch:
                    writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
                    written += len(chunk)
                    chunk = []
            if chunk or not written:
                writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
                written += len(chunk)
        return written
    with path.open("w", encoding="utf-8", newline="") as f:
        if fmt == "csv":
            out = csv.DictWriter(f, fieldnames=list(columns))
            out.writeheader()
            for record in rows:
                out.writerow({k: _csv_value(v) for k, v in record.items()})
                written += 1
        else:
            for record in rows:
                f.write(json.dumps({k: _json_value(v) for k, v in record.items()}, ensure_ascii=False) + "\n")
                written += 1
    return written


def _csv_value(value: Any) -> Any:
    if isinstance(value, list):
        return "; ".join(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def _json_value(value: Any) -> Any:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(value, datetime) else value
