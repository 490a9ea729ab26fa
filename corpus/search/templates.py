"""Index templates: mappings and the German analyzer for the indices.

Each kind (``articles``, ``comments``, ``crawls``, ``articles-history``, ``offtopic``) lives in a versioned index
(``corpus-articles-v1``) behind an alias (``corpus-articles``). Readers and
the pipeline only use the alias, so a mapping change is a new version, a
reindex and an alias swap, never a deletion. Mappings are ``dynamic:
strict``: a misspelt field is an indexing error (and a dead-letter entry),
not a new field.

Text fields use the ``german`` analyzer defined here: lower-casing, German
stop words, German normalisation (ä/ae, ß/ss ...) and light German stemming
with Elasticsearch's ``minimal_german`` stemmer, which strips plural and
genitive endings ("Nordkoreas" -> nordkorea, "Raketen" -> raket), so a search
for "Nordkoreas" finds "Nordkorea". (``light_german`` keeps the genitive "s"
after a vowel: with it, "Nordkoreas" would not find "Nordkorea".) Each text field that is also
filtered or aggregated on has a ``keyword`` sub-field.

Searches on text fields go through ``german_search``: the same chain with a ``synonym_graph``
filter after lower-casing, whose rules come from the entities file
(:func:`corpus.topics.entities.synonym_rules`), so a search for "Vladivostok" finds
"Wladiwostok" and one for "Kim Jong Un" finds "Kim Dschong Un". Synonyms apply at search time
only: a changed entities file needs no reindex (``corpus es setup`` updates the live indices'
analysis settings, closing each index for a moment).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from corpus.outlethealth import FIELDS as HEALTH_FIELDS

VERSION = 1
KINDS = ("articles", "comments", "crawls", "articles-history", "offtopic")

def analysis(synonyms: list[str]) -> dict[str, Any]:
    """The indices' analysis settings, with ``synonyms`` (Solr-format rules) for searches."""
    return {
        "filter": {
            "german_stop": {"type": "stop", "stopwords": "_german_"},
            "german_stem": {"type": "stemmer", "language": "minimal_german"},
            # lenient: a rule that does not parse is skipped, never an index that cannot be created
            "entity_synonyms": {"type": "synonym_graph", "synonyms": synonyms, "lenient": True},
        },
        "analyzer": {
            "german": {
                "type": "custom",
                "tokenizer": "standard",
                "filter": ["lowercase", "german_stop", "german_normalization", "german_stem"],
            },
            "german_search": {
                "type": "custom",
                "tokenizer": "standard",
                "filter": ["lowercase", "entity_synonyms", "german_stop", "german_normalization", "german_stem"],
            },
        },
        "normalizer": {
            "lowercase": {"type": "custom", "filter": ["lowercase"]},
        },
    }


def _digest(value: Any) -> str:
    return hashlib.sha1(json.dumps(value, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def entity_synonyms(path: str | None = None) -> list[str]:
    """The synonym rules of an entities file (default: ``CORPUS_ENTITIES_FILE`` or the shipped one)."""
    from corpus.topics.entities import default_matcher, synonym_rules

    if path is None:
        from corpus.runner import project_settings

        path = project_settings().get("CORPUS_ENTITIES_FILE") or None
    return synonym_rules(default_matcher(path).entities)

DATE_FORMAT = "strict_date_optional_time||yyyy-MM||yyyy"


def _text(keyword: bool = False, ignore_above: int = 512) -> dict[str, Any]:
    field: dict[str, Any] = {"type": "text", "analyzer": "german", "search_analyzer": "german_search"}
    if keyword:
        field["fields"] = {"keyword": {"type": "keyword", "ignore_above": ignore_above}}
    return field


_KEYWORD = {"type": "keyword", "ignore_above": 1024}
# where an item's page is in the web archive (corpus/archive): looked up by record id, not searched
_ARCHIVE: dict[str, Any] = {"properties": {
    "file": {"type": "keyword"}, "offset": {"type": "long"}, "length": {"type": "long"},
    "record_id": {"type": "keyword"}, "payload_digest": {"type": "keyword"}, "fetched_at": {"type": "date"},
    # for a record copied from a public archive (CC-NEWS): its file there and its offset in it
    "source_file": {"type": "keyword"}, "source_offset": {"type": "long"},
    # for a page read from the Wayback Machine (mode=wayback): the capture's URL and time
    "capture_url": {"type": "keyword"}, "captured_at": {"type": "date"},
}}
_DATE = {"type": "date", "format": DATE_FORMAT}
_RAW = {"type": "keyword", "index": False, "doc_values": False}
# canonical names of the people, places and organisations named (corpus/topics/entities.toml)
_ENTITIES: dict[str, Any] = {"properties": {kind: _KEYWORD for kind in ("person", "place", "org")}}

ARTICLE_PROPERTIES: dict[str, Any] = {
    "item_type": _KEYWORD,
    "id": _KEYWORD,
    "url": _KEYWORD,
    "canonical_url": _KEYWORD,
    "outlet": _KEYWORD,
    "outlet_name": _KEYWORD,
    "language": _KEYWORD,
    "section": _KEYWORD,
    "kicker": _text(keyword=True),
    "title": _text(keyword=True),
    "teaser": _text(),
    "body": _text(),
    "subheadings": _text(),
    "word_count": {"type": "integer"},
    "byline_raw": _RAW,
    "authors": _KEYWORD,
    "agencies": _KEYWORD,
    "author_organizations": _KEYWORD,
    "published_raw": _RAW,
    "published_at": _DATE,
    "published_precision": _KEYWORD,
    "modified_raw": _RAW,
    "modified_at": _DATE,
    "crawled_at": _DATE,
    "first_seen_at": _DATE,
    "last_seen_at": _DATE,
    "version": {"type": "integer"},
    "keywords": _KEYWORD,
    "image": {
        "properties": {"url": _KEYWORD, "caption": _text(), "credit": _KEYWORD},
    },
    "paywalled": {"type": "boolean"},
    "comment_count": {"type": "integer"},
    "comments_closed": {"type": "boolean"},
    "countries": _KEYWORD,
    "pairs": _KEYWORD,
    "topic_score": {"type": "float"},
    "in_scope": {"type": "boolean"},
    "content_hash": _KEYWORD,
    # which extraction layer filled each field: kept, not searched
    "extraction": {"type": "object", "enabled": False},
    "source": _KEYWORD,
    "crawl_run": _KEYWORD,
    "software_version": _KEYWORD,
    "extractor_version": _KEYWORD,
    "processed_at": _DATE,
    "terms_digest": _KEYWORD,
    "archive": _ARCHIVE,
    "entities": _ENTITIES,
    # near-duplicate clusters (corpus/stories): the story, its earliest member, the estimated
    # Jaccard similarity of the shingles to it, agency copy; the MinHash signature they came from
    "story_id": _KEYWORD,
    "duplicate_of": _KEYWORD,
    "similarity": {"type": "float"},
    "wire_copy": {"type": "boolean"},
    "story_signature": {"type": "binary"},
}

COMMENT_PROPERTIES: dict[str, Any] = {
    "item_type": _KEYWORD,
    "id": _KEYWORD,
    "comment_id": _KEYWORD,
    "article_id": _KEYWORD,
    "article_url": _KEYWORD,
    "article_title": _text(keyword=True),
    "article_countries": _KEYWORD,
    "outlet": _KEYWORD,
    "author": {"type": "keyword", "ignore_above": 256, "fields": {"text": _text()}},
    "published_raw": _RAW,
    "published_at": _DATE,
    "published_precision": _KEYWORD,
    "date": _DATE,  # published_at, else crawled_at: the comments data view's time field
    "title": _text(),
    "text": _text(),
    "parent_id": _KEYWORD,
    "position": {"type": "integer"},
    "crawled_at": _DATE,
    "first_seen_at": _DATE,
    "last_seen_at": _DATE,
    "version": {"type": "integer"},
    "content_hash": _KEYWORD,
    "source": _KEYWORD,
    "crawl_run": _KEYWORD,
    "software_version": _KEYWORD,
    "extractor_version": _KEYWORD,
    "processed_at": _DATE,
    "archive": _ARCHIVE,
    "entities": _ENTITIES,
}

CRAWL_PROPERTIES: dict[str, Any] = {
    "id": _KEYWORD,
    "spider": _KEYWORD,
    "arguments": {"type": "object", "enabled": False},
    "host": _KEYWORD,
    "start": _DATE,
    "end": _DATE,
    "duration_seconds": {"type": "float"},
    "finish_reason": _KEYWORD,
    "failed": {"type": "boolean"},
    "failure": {"type": "text"},
    "items_scraped": {"type": "long"},
    "items_dropped": {"type": "long"},
    "items_indexed": {"type": "long"},
    "items_failed": {"type": "long"},
    "items_deadlettered": {"type": "long"},
    "requests": {"type": "long"},
    "responses": {"type": "long"},
    "errors": {"type": "long"},
    "archive_bytes": {"type": "long"},
    "archive_records": {"type": "long"},
    "drops": {"type": "object", "enabled": False},
    "extraction": {"type": "object", "enabled": False},
    "stats": {"type": "object", "enabled": False},
    # runs started by `corpus schedule`
    "job": _KEYWORD,
    "scheduled_for": _DATE,
    "status": _KEYWORD,  # ok, failed, timeout, stopped
    "exit_code": {"type": "integer"},
    "timed_out": {"type": "boolean"},
    "signals": _KEYWORD,
    "log_file": _KEYWORD,
    # the outlet's health in the run (corpus/outlethealth.py)
    "mode": _KEYWORD,
    "degraded": {"type": "boolean"},
    "degraded_reasons": {"type": "text", "fields": {"raw": {"type": "keyword", "ignore_above": 1024}}},
    "health": {"properties": {
        "fetched": {"type": "long"}, "articles": {"type": "long"}, "not_articles": {"type": "long"},
        "article_rate": {"type": "float"},
        "fill": {"properties": {name: {"type": "float"} for name in HEALTH_FIELDS}},
        "layers": {"type": "object", "enabled": False},
        "not_article_shapes": {"type": "object", "enabled": False},
        "sources": {"type": "object", "enabled": False},
    }},
}

# One document per superseded version of an article (id "<article id>-v<version>"): what the
# article said before a revisit found it changed.
HISTORY_PROPERTIES: dict[str, Any] = {
    "item_type": _KEYWORD,
    "id": _KEYWORD,
    "article_id": _KEYWORD,
    "outlet": _KEYWORD,
    "url": _KEYWORD,
    "version": {"type": "integer"},
    "title": _text(keyword=True),
    "teaser": _text(),
    "body": _text(),
    "content_hash": _KEYWORD,
    "published_at": _DATE,
    "valid_from": _DATE,
    "superseded_at": _DATE,
}

# The light record of an article judged out of scope (corpus.items.OffTopic): enough to find it
# again; its page is in the web archive.
OFFTOPIC_PROPERTIES: dict[str, Any] = {
    name: ARTICLE_PROPERTIES[name] for name in (
        "item_type", "id", "url", "canonical_url", "outlet", "title", "teaser", "published_at",
        "published_precision", "countries", "pairs", "topic_score", "in_scope", "terms_digest", "content_hash",
        "crawled_at", "first_seen_at", "last_seen_at", "version", "source", "crawl_run", "extractor_version",
        "processed_at", "archive")
}

_PROPERTIES = {"articles": ARTICLE_PROPERTIES, "comments": COMMENT_PROPERTIES, "crawls": CRAWL_PROPERTIES,
               "articles-history": HISTORY_PROPERTIES, "offtopic": OFFTOPIC_PROPERTIES}


def index_name(prefix: str, kind: str, version: int = VERSION) -> str:
    """The versioned index behind an alias: ``corpus-articles-v1``."""
    return f"{prefix}-{kind}-v{version}"


def index_template(prefix: str, kind: str, replicas: int = 0, synonyms: list[str] | None = None) -> dict[str, Any]:
    """Body of ``PUT _index_template/<prefix>-<kind>`` (covers every version of the kind); ``synonyms``:
    the search-time rules (default: :func:`entity_synonyms`)."""
    settings_analysis = analysis(entity_synonyms() if synonyms is None else synonyms)
    return {
        "index_patterns": [f"{prefix}-{kind}-v*"],
        "priority": 200,
        "template": {
            "settings": {
                "number_of_shards": 1,
                "number_of_replicas": replicas,
                "refresh_interval": "1s",
                "analysis": settings_analysis,
            },
            # the analysis' digest: setup updates a live index whose analysis differs (new synonyms)
            "mappings": {"dynamic": "strict", "properties": _PROPERTIES[kind],
                         "_meta": {"analysis": _digest(settings_analysis)}},
        },
        "_meta": {"managed_by": "corpus-crawler", "version": VERSION},
    }
