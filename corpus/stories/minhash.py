"""MinHash signatures of article bodies: what makes two texts near-duplicates.

A body is lower-cased and cut into words (``\\w+``); its shingles are the runs of
:data:`SHINGLE_WORDS` consecutive words. Agency copy printed by several outlets shares
most of its shingles even when a client shortened it, changed the headline or added a
paragraph; two independent reports of the same event share almost none (five words in a
row rarely repeat by chance). A :class:`Signature` keeps :data:`PERMUTATIONS` MinHash
values of the shingles (``datasketch``) and their number: the share of equal values
estimates the Jaccard similarity of the two shingle sets, and with the sizes that gives
the overlap used to decide (:func:`overlap`): the share of the shorter text's shingles
found in the longer one, so a shortened copy is as much a duplicate as a full one.

Newsrooms shorten from the end: a client with little room prints the first paragraphs of
the agency's text. Against a long original such a copy has a small Jaccard similarity, which
MinHash estimates too roughly, so a signature also keeps the MinHash values of the opening
(the shingles of the first :data:`LEAD_WORDS` words): two texts whose openings are
near-duplicates are one story too (:func:`lead_overlap`), and a text shorter than that is one
story with a text whose opening holds most of it (:func:`in_opening`).

Signatures travel as text (:meth:`Signature.encode`: base64 of the counts and the values
as 32-bit integers, 1,376 characters) in the article's ``story_signature`` field.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from datasketch import MinHash

SHINGLE_WORDS = 5
PERMUTATIONS = 128
SEED = 1
# bodies with fewer words are not compared: too little text to tell copy from coincidence
MIN_WORDS = 40
LEAD_WORDS = 100

_WORD = re.compile(r"\w+")
_TEMPLATE = MinHash(num_perm=PERMUTATIONS, seed=SEED)  # its permutations are shared by every signature


@dataclass(frozen=True)
class Signature:
    """MinHash values of a text's shingles and of its opening's; its number of words and of shingles."""

    values: np.ndarray  # PERMUTATIONS values, each below 2**32
    shingles: int
    lead: np.ndarray  # the same for the shingles of the first LEAD_WORDS words
    words: int

    @property
    def lead_shingles(self) -> int:
        return min(self.shingles, LEAD_WORDS - SHINGLE_WORDS + 1)

    def encode(self) -> str:
        raw = np.concatenate(([self.shingles, self.words], self.values, self.lead)).astype("<u4")
        return base64.b64encode(raw.tobytes()).decode("ascii")

    @classmethod
    def decode(cls, text: str) -> Signature:
        """The signature :meth:`encode` wrote (``ValueError`` for anything else)."""
        try:
            raw = np.frombuffer(base64.b64decode(text, validate=True), dtype="<u4")
        except (ValueError, TypeError) as exc:
            raise ValueError(f"not a story signature: {exc}") from None
        if raw.size != 2 + 2 * PERMUTATIONS:
            raise ValueError(f"not a story signature: {raw.size} numbers, expected {2 + 2 * PERMUTATIONS}")
        values = raw[2:].astype(np.uint64)
        return cls(values[:PERMUTATIONS], int(raw[0]), values[PERMUTATIONS:], int(raw[1]))

    @cached_property
    def band_keys(self) -> tuple[bytes, ...]:
        """Keys of bands of values (64 of two body values; 32 of four opening values): texts with an equal
        key are candidates. Two bodies with a Jaccard similarity of 0.5, or two openings with 0.8, share a
        key with a probability above 0.98."""
        keys = []
        for part, values, bands in ((0, self.values, 64), (1, self.lead, 32)):
            rows = PERMUTATIONS // bands
            data = values.astype("<u4")
            keys += [bytes([part, band]) + data[band * rows:(band + 1) * rows].tobytes() for band in range(bands)]
        return tuple(keys)


def _minhash(shingles: set[bytes]) -> np.ndarray:
    minhash = MinHash(num_perm=PERMUTATIONS, seed=SEED, permutations=_TEMPLATE.permutations)
    minhash.update_batch(list(shingles))
    return minhash.hashvalues.copy()


def _shingles(tokens: list[str]) -> set[bytes]:
    return {" ".join(tokens[i:i + SHINGLE_WORDS]).encode("utf-8") for i in range(len(tokens) - SHINGLE_WORDS + 1)}


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def signature(text: str | None) -> Signature | None:
    """The signature of a body, or ``None`` when it has fewer than :data:`MIN_WORDS` words."""
    tokens = words(text or "")
    if len(tokens) < MIN_WORDS:
        return None
    shingles = _shingles(tokens)
    values = _minhash(shingles)
    lead = values if len(tokens) <= LEAD_WORDS else _minhash(_shingles(tokens[:LEAD_WORDS]))
    return Signature(values, len(shingles), lead, len(tokens))


def jaccard(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity of the two shingle sets."""
    return float(np.count_nonzero(a.values == b.values)) / PERMUTATIONS


def lead_overlap(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity of the two openings' shingle sets (their first :data:`LEAD_WORDS` words)."""
    return float(np.count_nonzero(a.lead == b.lead)) / PERMUTATIONS


def in_opening(short: Signature, other: Signature) -> float:
    """Estimated share of a short text's shingles (one of fewer than :data:`LEAD_WORDS` words) found in the
    other's opening: sets of about the same size, so the estimate is far closer than :func:`overlap`'s
    against a whole long text."""
    j = float(np.count_nonzero(short.values == other.lead)) / PERMUTATIONS
    if j == 0.0:
        return 0.0
    common = j * (short.shingles + other.lead_shingles) / (1 + j)
    return min(1.0, common / max(1, short.shingles))


def overlap(a: Signature, b: Signature) -> float:
    """Estimated share of the smaller shingle set found in the larger one (0 to 1).

    ``|A ∩ B| = J · |A ∪ B|`` and ``|A ∪ B| = (|A| + |B|) / (1 + J)``, with ``J`` the Jaccard estimate.
    """
    j = jaccard(a, b)
    if j == 0.0:
        return 0.0
    common = j * (a.shingles + b.shingles) / (1 + j)
    return min(1.0, common / max(1, min(a.shingles, b.shingles)))
