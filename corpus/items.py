"""The two kinds of item the crawler produces: :class:`Article` and :class:`Comment`.

This module is the single definition of the item schema; spiders fill the raw
fields, the pipelines in ``pipelines/`` fill the normalised ones (see
``corpus/settings.py`` for their order). Every item serialises with an
``item_type`` field (``"article"`` or ``"comment"``) so one JSON Lines file can
carry both.

Dates are stored as ISO 8601 strings, not ``datetime`` objects, because their
precision matters: ``"2023-09-07T10:40:00+02:00"`` (minute), ``"2023-09-06"``
(day) or ``"2023-09"`` (month). A day is never turned into midnight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

Precision = Literal["minute", "day", "month"]


class Image(TypedDict, total=False):
    url: str
    caption: str | None
    credit: str | None


@dataclass(kw_only=True)
class Article:
    """One news article, as extracted from its page and normalised by the pipelines."""

    item_type: str = field(default="article", init=False)
    # identity
    id: str | None = None  # sha1 of canonical_url, set by the spider / dedupe pipeline
    url: str
    canonical_url: str | None = None
    outlet: str
    outlet_name: str | None = None
    language: str | None = "de"
    # text
    section: str | None = None
    kicker: str | None = None  # Dachzeile
    title: str | None = None
    teaser: str | None = None
    body: str | None = None  # paragraphs and sub-headings in page order, joined by blank lines
    subheadings: list[str] = field(default_factory=list)
    word_count: int | None = None
    # people
    byline_raw: str | None = None
    authors: list[str] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)
    # a newsroom or the outlet credited when no person or agency is named ("BR24 Redaktion")
    author_organizations: list[str] = field(default_factory=list)
    # dates (raw as printed, normalised by the dates pipeline)
    published_raw: str | None = None
    published_at: str | None = None
    published_precision: Precision | None = None
    modified_raw: str | None = None
    modified_at: str | None = None
    crawled_at: str | None = None
    first_seen_at: str | None = None
    last_seen_at: str | None = None
    # classification
    keywords: list[str] = field(default_factory=list)
    image: Image | None = None
    paywalled: bool = False
    comment_count: int | None = None
    comments_closed: bool | None = None
    countries: list[str] = field(default_factory=list)
    pairs: list[str] = field(default_factory=list)
    topic_score: float | None = None
    in_scope: bool | None = None
    # canonical names of the people, places and organisations named (corpus/topics/entities.toml):
    # {"person": [...], "place": [...], "org": [...]}
    entities: dict[str, list[str]] = field(default_factory=dict)
    # the near-duplicate story (corpus/stories): its id, the earliest member, the estimated overlap with
    # the closest other member, agency copy; the body's MinHash signature they were decided with
    story_id: str | None = None
    duplicate_of: str | None = None
    similarity: float | None = None
    wire_copy: bool | None = None
    story_signature: str | None = None
    content_hash: str | None = None
    version: int | None = None  # 1, + 1 for every content change seen on a revisit
    # which extraction layer filled each field (jsonld, meta, selector, generic)
    extraction: dict[str, str] = field(default_factory=dict)
    # provenance: where the item came from and what made it
    source: str = "crawl"  # crawl (later also ccnews, wayback)
    crawl_run: str | None = None  # the crawl run's name, as in its output file (corpus/runs.py)
    software_version: str | None = None  # corpus-crawler version that built the item
    # the version of the code that read the page (package version + digest of its extraction and
    # pipeline sources, corpus.build.extractor_version) and when it did: a reprocess of the archived
    # page moves both, a new fetch moves crawled_at too
    extractor_version: str | None = None
    processed_at: str | None = None
    terms_digest: str | None = None  # digest of the terms file the article was tagged with
    # where the page it was read from is in the web archive: file, offset, length, record_id,
    # payload_digest, fetched_at (corpus/archive; None when the crawl kept no archive)
    archive: dict[str, Any] | None = None


@dataclass(kw_only=True)
class Comment:
    """One reader comment, linked to its article by ``article_id``."""

    item_type: str = field(default="comment", init=False)
    id: str | None = None  # "<outlet>-<outlet comment id>", or a hash when the outlet gives none
    comment_id: str | None = None  # the outlet's own id, when the page shows one
    article_id: str | None = None
    article_url: str
    article_title: str | None = None
    article_countries: list[str] = field(default_factory=list)  # the article's tags, for searches on comments
    outlet: str
    author: str | None = None
    published_raw: str | None = None
    published_at: str | None = None
    published_precision: Precision | None = None
    # the comment's time for time-based views: published_at when the page gave one, else crawled_at
    # (filled by pipelines/dates.py), so a comment without a date is still in every time range
    date: str | None = None
    title: str | None = None
    text: str | None = None
    parent_id: str | None = None  # id of the comment this one replies to
    entities: dict[str, list[str]] = field(default_factory=dict)  # as for articles, where the comment names any
    position: int | None = None  # 1-based order on the article, across comment pages
    crawled_at: str | None = None
    # provenance, as for articles
    source: str = "crawl"
    crawl_run: str | None = None
    software_version: str | None = None
    extractor_version: str | None = None
    processed_at: str | None = None
    archive: dict[str, Any] | None = None  # the (comment) page it was read from, as for articles


@dataclass(kw_only=True)
class OffTopic:
    """The light record of an article judged out of scope: what a later re-tagging needs to find it again.

    The page itself stays in the web archive (``archive``); ``corpus reprocess --rescope`` reads it
    from there when other terms bring the article into scope. Written to ``corpus-offtopic``, or to
    ``<CORPUS_OUTPUT_DIR>/offtopic/<spider>/<run>.jsonl``.
    """

    item_type: str = field(default="offtopic", init=False)
    id: str | None = None
    url: str
    canonical_url: str | None = None
    outlet: str
    title: str | None = None
    teaser: str | None = None
    published_at: str | None = None
    published_precision: Precision | None = None
    countries: list[str] = field(default_factory=list)
    pairs: list[str] = field(default_factory=list)
    topic_score: float | None = None
    in_scope: bool = False
    terms_digest: str | None = None
    content_hash: str | None = None
    crawled_at: str | None = None
    source: str = "crawl"
    crawl_run: str | None = None
    extractor_version: str | None = None
    processed_at: str | None = None
    archive: dict[str, Any] | None = None

    @classmethod
    def of(cls, article: Article) -> OffTopic:
        return cls(**{name: getattr(article, name) for name in _OFFTOPIC_FIELDS})


_OFFTOPIC_FIELDS = tuple(f for f in OffTopic.__dataclass_fields__ if f != "item_type")

Item = Article | Comment


def fields_of(item: Any) -> dict[str, Any]:
    """An item's fields as a dict, shallow: the values themselves, not copies (``dataclasses.asdict`` copies
    every list and dict, a cost per item that nothing that only reads or serialises them needs)."""
    return {name: getattr(item, name) for name in item.__dataclass_fields__}
