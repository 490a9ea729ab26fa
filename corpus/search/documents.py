"""Items as Elasticsearch documents, and how a re-crawl updates a stored one.

A document's id is the item's id (for articles the SHA-1 of the canonical
URL; for comments the outlet's comment id), so crawling a page again updates
its document instead of adding one. :func:`merge` carries over what only the
index knows: ``first_seen_at`` stays (or moves back, for an older record),
``last_seen_at`` moves to this crawl and never back, a record older than the
stored one never replaces it (:func:`is_older`),
``version`` counts content changes (a changed ``content_hash`` of a page that
changed: a record read again from the same archived page, whose payload digest
is the stored one, is a reprocess that updates the fields and keeps the version),
and ``modified_at`` moves only when the content changed; :func:`superseded` keeps
the replaced title, teaser and body as a document of ``corpus-articles-history``.
"""

from __future__ import annotations

from typing import Any

from corpus.normalize.urls import content_hash
from corpus.state import earlier, later

# What the indexer reads back from a stored document before overwriting it (for articles also
# what a superseded version keeps).
STORED_FIELDS = ("first_seen_at", "last_seen_at", "version", "content_hash", "modified_at",
                 "title", "teaser", "body", "outlet", "url", "published_at", "archive.payload_digest")
KIND_BY_TYPE = {"article": "articles", "comment": "comments", "article_version": "articles-history",
                "offtopic": "offtopic", "story_update": "articles"}
# a partial update of an article's story fields (pipelines/stories.py): what a later member changed
STORY_UPDATE = "story_update"
STORY_FIELDS = ("story_id", "duplicate_of", "similarity", "wire_copy")


def kind_of(doc: dict[str, Any]) -> str:
    """The index kind of an item dict (``articles``, ``comments``, ``offtopic`` ...); ``ValueError`` otherwise."""
    kind = KIND_BY_TYPE.get(doc.get("item_type", ""))
    if kind is None:
        raise ValueError(f"not an article or comment: item_type={doc.get('item_type')!r}")
    ident = doc.get("id")
    if not ident:
        raise ValueError("item has no id")
    if not isinstance(ident, str):
        raise ValueError(f"id must be a string, not {type(ident).__name__}")
    return kind


def to_document(item: dict[str, Any]) -> dict[str, Any]:
    """The document for a new item (no stored version yet)."""
    doc = {k: v for k, v in item.items() if not k.startswith("_")}
    if doc.get("item_type") == "article_version":
        return doc  # written once, as built by superseded()
    if doc.get("item_type") == "comment":
        doc["content_hash"] = content_hash(doc.get("author"), doc.get("title"), doc.get("text"))
    seen = doc.get("crawled_at")
    doc["first_seen_at"] = seen
    doc["last_seen_at"] = seen
    doc["version"] = 1
    return doc


def payload_digest(doc: dict[str, Any] | None) -> str | None:
    """The payload digest of the archived page an item was read from, if it has one."""
    archive = (doc or {}).get("archive")
    return archive.get("payload_digest") or None if isinstance(archive, dict) else None


def content_changed(doc: dict[str, Any], stored: dict[str, Any] | None) -> bool:
    """Whether ``doc`` is a new version of ``stored``: other content, read from another page than the stored
    one (the same archived page read again with other code is a reprocess, not an edit)."""
    if not stored or stored.get("content_hash") == doc.get("content_hash"):
        return False
    digest = payload_digest(doc)
    return digest is None or digest != payload_digest(stored)


def merge(doc: dict[str, Any], stored: dict[str, Any] | None) -> dict[str, Any]:
    """Combine a new document with what the index already holds for the same id.

    Args:
        doc: from :func:`to_document`.
        stored: the stored ``STORED_FIELDS`` of the same id, or ``None``.

    Returns:
        The document to write.
    """
    if not stored:
        return doc
    merged = dict(doc)
    merged["first_seen_at"] = earlier(stored.get("first_seen_at"), doc["first_seen_at"])
    merged["last_seen_at"] = later(stored.get("last_seen_at"), doc["last_seen_at"])
    changed = content_changed(doc, stored)
    merged["version"] = int(stored.get("version") or 1) + (1 if changed else 0)
    if doc.get("item_type") == "comment" and not doc.get("published_at") and merged.get("first_seen_at"):
        merged["date"] = merged["first_seen_at"]  # an undated comment's time: when it was first seen
    if doc.get("item_type") == "article":
        if changed:
            merged["modified_at"] = doc.get("modified_at") or doc.get("crawled_at")
        else:
            merged["modified_at"] = stored.get("modified_at") or doc.get("modified_at")
    return merged


def is_older(doc: dict[str, Any], stored: dict[str, Any] | None) -> bool:
    """Whether ``doc`` was crawled before what the index holds (then it must not replace it)."""
    if not stored or not stored.get("last_seen_at") or not doc.get("last_seen_at"):
        return False
    return later(doc["last_seen_at"], stored["last_seen_at"]) != doc["last_seen_at"]


def superseded(doc: dict[str, Any], stored: dict[str, Any] | None) -> dict[str, Any] | None:
    """The history document for the stored version of an article whose content changed, else ``None``.

    Args:
        doc: the new article document.
        stored: the stored fields of the same id (``STORED_FIELDS``).
    """
    if not stored or doc.get("item_type") != "article" or not content_changed(doc, stored):
        return None
    version = int(stored.get("version") or 1)
    return {
        "item_type": "article_version",
        "id": f"{doc['id']}-v{version}",
        "article_id": doc["id"],
        "outlet": stored.get("outlet") or doc.get("outlet"),
        "url": stored.get("url") or doc.get("url"),
        "version": version,
        "title": stored.get("title"),
        "teaser": stored.get("teaser"),
        "body": stored.get("body"),
        "content_hash": stored.get("content_hash"),
        "published_at": stored.get("published_at"),
        "valid_from": stored.get("modified_at") or stored.get("first_seen_at"),
        "superseded_at": doc.get("crawled_at"),
    }
