"""Stories instead of pages: near-duplicate clusters and agency copy.

German outlets print the same dpa, AFP or Reuters copy many times. Every article gets
``story_id`` (its cluster), ``duplicate_of`` (the cluster's earliest member),
``similarity`` (the estimated overlap with its closest other member) and ``wire_copy``
(agency-only copy and its near-duplicates): :mod:`corpus.stories.minhash` says when two
bodies are near-duplicates, :mod:`corpus.stories.index` builds the clusters one article at
a time, :mod:`corpus.stories.store` keeps them between runs (Elasticsearch, or a SQLite
file without it). The stories pipeline (``pipelines/stories.py``) places each article of a
crawl, a reprocess or a backfill; ``corpus cluster -`` places JSON Lines articles the same
way, and ``corpus stories`` shows the largest stories of the last days.
"""

from __future__ import annotations

from typing import Any

from corpus.stories.index import Member, StoryIndex
from corpus.stories.minhash import Signature, signature
from corpus.stories.store import agency_only, when_of

__all__ = ["Member", "Signature", "StoryIndex", "cluster", "member_of", "signature"]


def member_of(record: dict[str, Any]) -> tuple[Member | None, Signature | None]:
    """The story member for an article's fields (``id``, ``published_at`` or ``crawled_at``, ``body``,
    ``agencies``, ``authors``, ``outlet``), with its signature; no member without an id or a date."""
    sig = signature(record.get("body"))
    when = when_of(record.get("published_at"), record.get("crawled_at"))
    if not record.get("id") or when is None:
        return None, sig
    return Member(str(record["id"]), when, sig, agency_only(record.get("agencies"), record.get("authors")),
                  record.get("outlet"), title=record.get("title")), sig


def cluster(records: list[dict[str, Any]], index: StoryIndex | None = None) -> list[dict[str, Any] | None]:
    """Place articles in stories in the order given, as the pipeline does; each one's fields after all
    were placed (``None`` for a record without an id or a date)."""
    index = index or StoryIndex()
    ids: list[str | None] = []
    for record in records:
        member, _ = member_of(record)
        if member is None:
            ids.append(None)
            continue
        index.add(member)
        ids.append(member.id)
    return [None if i is None else {"id": i, **index.members[i].fields()} for i in ids]
