"""How a re-crawl updates a stored document (pure functions, no node needed)."""

from __future__ import annotations

from dataclasses import asdict, fields

import pytest

from corpus.items import Article, Comment
from corpus.search.documents import kind_of, merge, to_document
from corpus.search.templates import ARTICLE_PROPERTIES, COMMENT_PROPERTIES, index_template


def article(**overrides):
    values = {"item_type": "article", "id": "a1", "url": "https://x/a", "outlet": "cicero",
              "crawled_at": "2024-03-15T12:00:00+01:00", "content_hash": "h1", "modified_at": None}
    return {**values, **overrides}


def test_new_document_is_first_seen_now():
    doc = to_document(article())
    assert doc["first_seen_at"] == doc["last_seen_at"] == "2024-03-15T12:00:00+01:00"
    assert doc["version"] == 1


def test_recrawl_keeps_first_seen_and_version_when_unchanged():
    stored = {"first_seen_at": "2024-03-01T08:00:00+01:00", "version": 3, "content_hash": "h1",
              "modified_at": "2024-03-02T09:00:00+01:00"}
    doc = merge(to_document(article()), stored)
    assert doc["first_seen_at"] == "2024-03-01T08:00:00+01:00"
    assert doc["last_seen_at"] == "2024-03-15T12:00:00+01:00"
    assert doc["version"] == 3
    assert doc["modified_at"] == "2024-03-02T09:00:00+01:00"


def test_changed_content_bumps_version_and_modified_at():
    stored = {"first_seen_at": "2024-03-01T08:00:00+01:00", "version": 1, "content_hash": "old"}
    doc = merge(to_document(article(content_hash="new")), stored)
    assert doc["version"] == 2
    assert doc["modified_at"] == "2024-03-15T12:00:00+01:00"  # no dateModified on the page: the crawl time


def test_comment_documents_get_a_content_hash():
    doc = to_document({"item_type": "comment", "id": "cicero-1", "author": "A", "text": "t",
                       "crawled_at": "2024-03-15T12:00:00+01:00"})
    assert len(doc["content_hash"]) == 40


@pytest.mark.parametrize("bad", [{"item_type": "crawl", "id": "x"}, {"item_type": "article"}])
def test_only_articles_and_comments_with_ids_are_indexed(bad):
    with pytest.raises(ValueError):
        kind_of(bad)


def test_mappings_cover_every_item_field():
    """dynamic: strict means an unmapped field is a rejected document: keep items and mappings in step."""
    a = {f.name for f in fields(Article)} | {"version"}
    c = {f.name for f in fields(Comment)} | {"version", "content_hash", "first_seen_at", "last_seen_at"}
    assert a == set(ARTICLE_PROPERTIES)
    assert c == set(COMMENT_PROPERTIES)
    body = index_template("corpus", "articles")
    assert body["template"]["mappings"]["dynamic"] == "strict"
    assert body["index_patterns"] == ["corpus-articles-v*"]
    assert asdict(Article(url="u", outlet="o"))["item_type"] == "article"


def test_a_changed_article_leaves_its_previous_version_for_the_history_index():
    from corpus.search.documents import superseded

    stored = {"content_hash": "old", "version": 2, "title": "Vorher", "teaser": "T", "body": "Alter Text",
              "first_seen_at": "2024-05-01T10:00:00+02:00", "modified_at": "2024-05-02T09:00:00+02:00",
              "outlet": "cicero", "url": "https://www.cicero.de/a", "published_at": "2024-05-01"}
    doc = {"item_type": "article", "id": "a1", "content_hash": "new", "crawled_at": "2024-05-03T08:00:00+02:00"}
    history = superseded(doc, stored)
    assert history == {
        "item_type": "article_version", "id": "a1-v2", "article_id": "a1", "outlet": "cicero",
        "url": "https://www.cicero.de/a", "version": 2, "title": "Vorher", "teaser": "T", "body": "Alter Text",
        "content_hash": "old", "published_at": "2024-05-01", "valid_from": "2024-05-02T09:00:00+02:00",
        "superseded_at": "2024-05-03T08:00:00+02:00",
    }
    assert superseded({**doc, "content_hash": "old"}, stored) is None  # unchanged: nothing to keep
    assert superseded(doc, None) is None  # new article
    assert superseded({**doc, "item_type": "comment"}, stored) is None


def test_an_undated_comment_keeps_the_time_it_was_first_seen():
    """Its ``date`` (the comments' time field) does not move with every re-crawl; a dated one keeps its date."""
    comment = {"item_type": "comment", "id": "c1", "article_url": "https://x/a", "outlet": "cicero",
               "text": "Gut.", "crawled_at": "2024-03-15T12:00:00+01:00", "date": "2024-03-15T12:00:00+01:00"}
    stored = {"first_seen_at": "2024-03-01T08:00:00+01:00", "version": 1,
              "content_hash": to_document(comment)["content_hash"]}
    assert merge(to_document(comment), stored)["date"] == "2024-03-01T08:00:00+01:00"
    dated = {**comment, "published_at": "2024-02-28", "date": "2024-02-28"}
    assert merge(to_document(dated), stored)["date"] == "2024-02-28"
