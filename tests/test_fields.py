"""docs/fields.md describes every field: checked against the item classes, the index mapping and the export."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from corpus.items import Article, Comment
from corpus.research.export import ARTICLE_COLUMNS, COMMENT_COLUMNS
from corpus.search.templates import ARTICLE_PROPERTIES, COMMENT_PROPERTIES

DOC = (Path(__file__).parents[1] / "docs" / "fields.md").read_text("utf-8")
ROW = re.compile(r"^\| `([a-z_]+)` \| ([^|]+) \| ([^|]+) \|", re.M)


def section(title: str) -> dict[str, tuple[str, str]]:
    """``{field: (json type, elasticsearch type)}`` of one table of the page."""
    start = DOC.index(f"## {title}\n")
    end = DOC.find("\n## ", start + 1)
    rows = ROW.findall(DOC[start:end if end > 0 else None])
    return {name: (json_type.strip(), es_type.strip()) for name, json_type, es_type in rows}


def mapping_type(spec: dict) -> str:
    return spec.get("type", "object")


def check(title: str, item: type, properties: dict) -> None:
    documented = section(title)
    fields = {f.name for f in dataclasses.fields(item)}
    assert set(documented) == fields | set(properties), (
        f"{title}: undocumented {sorted((fields | set(properties)) - set(documented))}, "
        f"documented but gone {sorted(set(documented) - fields - set(properties))}")
    for name, spec in properties.items():
        assert documented[name][1].split(" ")[0] == mapping_type(spec), (name, documented[name], spec)
    for name in set(properties) - fields:  # fields only Elasticsearch fills say so
        assert "ES only" in DOC[DOC.index(f"| `{name}` |", DOC.index(f"## {title}")):].split("\n", 1)[0], name


def test_every_article_field_is_documented_with_its_mapping():
    check("Article", Article, ARTICLE_PROPERTIES)


def test_every_comment_field_is_documented_with_its_mapping():
    check("Comment", Comment, COMMENT_PROPERTIES)


def test_every_export_column_is_documented():
    documented = set(section("Article")) | set(section("Comment"))
    start = DOC.index("## Export columns")
    added = set(re.findall(r"^\| `([a-z_]+)` \|", DOC[start:DOC.index("\n## ", start + 1)], re.M))
    assert set(ARTICLE_COLUMNS) | set(COMMENT_COLUMNS) <= documented | added
    assert added <= set(ARTICLE_COLUMNS) | set(COMMENT_COLUMNS)  # no column described that is not exported
