"""Near-duplicate clusters (stories), built one article at a time.

:class:`StoryIndex` keeps the articles of the days it was asked about: their MinHash
signatures in locality-sensitive hashing buckets (``BANDS`` bands of two values: two
texts whose overlap is 0.5 share a bucket with a probability above 0.99), their story and
their date. A new article is compared with the candidates its buckets give that were
published within ``window_days`` of it; when the closest one reaches the threshold, by
:func:`~corpus.stories.minhash.overlap` of the bodies or by the similarity of their openings
(:func:`~corpus.stories.minhash.lead_overlap` from :data:`LEAD_THRESHOLD`: a copy shortened
from the end; only where the bodies' overlap reaches half the threshold, so that a series'
recurring opening paragraph alone makes no story), the article joins that one's story, otherwise it starts its own.

For every member the index keeps what the corpus shows:

- ``story_id``: the story, named after the article that started it (stable: a later
  member never renames it);
- ``duplicate_of``: the story's earliest member (by publication date, then id), ``None`` for
  that member itself and for an article alone;
- ``similarity``: how near-duplicate it is (:meth:`StoryIndex.score`) to the closest member it
  was compared with when it joined (for the article that started the story: to the first one
  that joined it), ``None`` while alone;
- ``wire_copy``: the story holds an agency-only article (agencies credited, no author):
  that article and its near-duplicates are agency copy.

An article published earlier than the members already there, or an agency-only one joining
later, changes what the other members show: :meth:`StoryIndex.add` returns those members
with the article, and the caller writes them back (the stories pipeline).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from corpus.stories.minhash import LEAD_WORDS, Signature, in_opening, jaccard, lead_overlap, overlap

THRESHOLD = 0.5
# openings count when they are this similar: a copy cut from the end has the original's opening, word
# for word; two issues of a series share their first paragraph, not their first hundred words
LEAD_THRESHOLD = 0.8
# how much of a text shorter than LEAD_WORDS the other's opening must hold
SHORT_OVERLAP = 0.8
WINDOW_DAYS = 7


@dataclass
class Member:
    """One article as the story index knows it, and what it shows."""

    id: str
    when: datetime
    signature: Signature | None
    agency_only: bool = False
    outlet: str | None = None
    story_id: str = ""
    duplicate_of: str | None = None
    similarity: float | None = None
    wire_copy: bool = False
    title: str | None = None  # for people reading the stories (corpus stories), not compared

    def shown(self) -> tuple[str, str | None, float | None, bool]:
        return self.story_id, self.duplicate_of, self.similarity, self.wire_copy

    def fields(self) -> dict[str, object]:
        """The article fields this member gives."""
        return {"story_id": self.story_id, "duplicate_of": self.duplicate_of, "similarity": self.similarity,
                "wire_copy": self.wire_copy}


@dataclass
class _Story:
    members: list[str] = field(default_factory=list)


def _same(a: Signature | None, b: Signature | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.shingles == b.shingles and bool(np.array_equal(a.values, b.values))


class StoryIndex:
    """Stories of the articles added or loaded; see the module docstring.

    Args:
        threshold: the overlap from which two articles are one story.
        window_days: how far apart (publication dates) two members may be.
    """

    def __init__(self, threshold: float = THRESHOLD, window_days: int = WINDOW_DAYS) -> None:
        self.threshold = threshold
        self.window = timedelta(days=window_days)
        self.members: dict[str, Member] = {}
        self.stories: dict[str, _Story] = defaultdict(_Story)
        self.buckets: dict[bytes, list[str]] = defaultdict(list)
        self.first_of: dict[str, str] = {}  # the member each story shows as its first
        self.wired: set[str] = set()  # stories loaded as agency copy

    def __len__(self) -> int:
        return len(self.members)

    def load(self, member: Member) -> None:
        """Take a stored member as it is (its story and fields were decided when it was added)."""
        if member.id in self.members:
            return
        member.story_id = member.story_id or member.id
        self._insert(member)
        if member.duplicate_of is None:
            self.first_of[member.story_id] = member.id
        elif member.duplicate_of not in self.members:
            # its first member was published before the days loaded: it stays first, unread
            self.first_of.setdefault(member.story_id, member.duplicate_of)
        if member.wire_copy:
            self.wired.add(member.story_id)  # agency copy may be among the members not loaded

    def add(self, member: Member) -> tuple[Member, list[Member]]:
        """Place a new (or changed) article in a story.

        An article close enough to members of several stories joins them into one (named after the
        one whose earliest member is earliest): agency copy reaches some clients whole and others
        shortened, and the copies meet only through the original.

        Returns:
            The member with its fields, and the other members whose fields changed.
        """
        known = self.members.get(member.id)
        changed: list[Member] = []
        if known is not None:
            if (_same(known.signature, member.signature) and known.when == member.when
                    and known.agency_only == member.agency_only):
                return known, []  # read again, unchanged (a revisit, a reprocess)
            changed = self._remove(known)
        matches = []
        if member.signature is not None:
            for other in self._candidates(member):
                score = self.score(member.signature, other.signature)  # type: ignore[arg-type]
                if score >= self.threshold:
                    matches.append((score, other))
        if not matches:
            # alone: a changed article keeps its story's name if that story is gone with it
            gone = known is not None and known.story_id not in self.stories
            member.story_id = known.story_id if known is not None and gone else member.id
            member.similarity = None
            self._insert(member)
            changed += self._settle(member.story_id)
            return member, self._unique(changed, member)
        joined = {other.story_id for _, other in matches}
        before = {i: self.members[i].shown() for story in joined for i in self.stories[story].members}
        target = min(joined, key=lambda story: min((self.members[i].when, i) for i in self.stories[story].members))
        for story in joined - {target}:
            self.first_of.pop(story, None)
            if story in self.wired:
                self.wired.add(target)
            for i in self.stories.pop(story).members:
                self.members[i].story_id = target
                self.stories[target].members.append(i)
        closest = max(score for score, _ in matches)
        member.story_id, member.similarity = target, round(closest, 3)
        for score, other in matches:
            if other.similarity is None:  # it was alone: its closest member is this one
                other.similarity = round(score, 3)
        self._insert(member)
        self._settle(target)
        changed += [self.members[i] for i, shown in before.items() if self.members[i].shown() != shown]
        return member, self._unique(changed, member)

    def forget(self, before: datetime, after: datetime) -> int:
        """Drop the stories all of whose members were published before ``before`` or after ``after`` (they are
        stored, and read again when an article needs their days); how many members were dropped."""
        dropped = 0
        for story_id in list(self.stories):
            members = [self.members[i] for i in self.stories[story_id].members]
            if all(m.when < before for m in members) or all(m.when > after for m in members):
                for m in members:
                    self._unbucket(m)
                del self.stories[story_id]
                self.first_of.pop(story_id, None)
                self.wired.discard(story_id)
                dropped += len(members)
        return dropped

    def score(self, a: Signature, b: Signature) -> float:
        """How near-duplicate two texts are: the Jaccard similarity of their shingles, or for a copy cut from
        the end (the same opening, and a good part of the shorter text in the other) that of their openings."""
        score = jaccard(a, b)
        if score >= self.threshold:
            return score
        short, other = (a, b) if a.words <= b.words else (b, a)
        if short.words < LEAD_WORDS:  # a short text: the other's opening holds most of it
            found = in_opening(short, other)
            return found if found >= SHORT_OVERLAP else score
        if overlap(a, b) >= self.threshold / 2:
            lead = lead_overlap(a, b)
            if lead >= LEAD_THRESHOLD:
                score = lead
        return score

    def _unique(self, changed: list[Member], member: Member) -> list[Member]:
        unique = {m.id: m for m in changed if m.id != member.id and self.members.get(m.id) is m}
        return list(unique.values())

    def _candidates(self, member: Member) -> list[Member]:
        assert member.signature is not None
        seen: set[str] = set()
        found = []
        for key in member.signature.band_keys:
            for other_id in self.buckets.get(key, ()):
                if other_id in seen or other_id == member.id:
                    continue
                seen.add(other_id)
                other = self.members[other_id]
                if abs(other.when - member.when) <= self.window:
                    found.append(other)
        return found

    def _insert(self, member: Member) -> None:
        self.members[member.id] = member
        self.stories[member.story_id].members.append(member.id)
        if member.signature is not None:
            for key in member.signature.band_keys:
                self.buckets[key].append(member.id)

    def _unbucket(self, member: Member) -> None:
        """Take a member out of the index's members and buckets (not out of its story)."""
        del self.members[member.id]
        if member.signature is not None:
            for key in member.signature.band_keys:
                bucket = self.buckets[key]
                bucket.remove(member.id)
                if not bucket:
                    del self.buckets[key]

    def _remove(self, member: Member) -> list[Member]:
        self._unbucket(member)
        story = self.stories[member.story_id]
        story.members.remove(member.id)
        if not story.members:
            del self.stories[member.story_id]
            self.first_of.pop(member.story_id, None)
            self.wired.discard(member.story_id)
            return []
        return self._settle(member.story_id)

    def _settle(self, story_id: str) -> list[Member]:
        """Set every member's ``duplicate_of`` and ``wire_copy``; the members that changed."""
        members = [self.members[i] for i in self.stories[story_id].members]
        shown = self.first_of.get(story_id)
        if shown is not None and shown not in self.members:
            first_id = shown  # published before the days loaded (see load)
        else:
            first = min(m.when for m in members)
            # among members published at the same time the one already shown first stays first (copies of one
            # agency text often share the minute: none of them should make every other member change)
            tied = [m for m in members if m.when == first]
            first_id = (next((m for m in tied if m.id == shown), None) or min(tied, key=lambda m: m.id)).id
        self.first_of[story_id] = first_id
        wire = story_id in self.wired or any(m.agency_only for m in members)
        changed = []
        for m in members:
            before = m.shown()
            m.duplicate_of = None if m.id == first_id else first_id
            m.wire_copy = wire
            if len(members) == 1:
                m.similarity = None
            if m.shown() != before:
                changed.append(m)
        return changed
