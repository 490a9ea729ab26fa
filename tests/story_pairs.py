"""A labelled set of near-duplicate pairs built from real article texts.

Originals: the checked bodies of the real news pages in ``../shared/eval`` (``dev/`` and
``intl/``; when that folder is missing, the shipped fixtures' seed text and tests' own bodies
only). Each original gets the copies an agency's clients make of it (seeded, so the set is the
same on every run):

- ``shortened``: its first half (at least two paragraphs), as a client with little room prints it;
- ``edited``: a new opening sentence, the last paragraph dropped, one word in fifty replaced,
  and the agency's mark at the end;
- ``lead``: the first three paragraphs and a "Mehr zum Thema" line;
- ``inserted``: the whole text with a "Lesen Sie auch" link to another article in the middle.

An original and its copies are one group: every pair inside a group is a duplicate, every pair
across groups is not (the pages are 215 different articles from 86 publishers, several of them
from one outlet with its shared boilerplate). Hard negatives: every tenth original of 300 words or
more opens with the same paragraph (70 words), as the issues of a newsletter or a series do, so
these share their openings and nothing else. The copies are published hours after the original,
all groups within one week, and the articles arrive in a shuffled order, as a crawl sees them.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import combinations
from pathlib import Path

from corpus.tz import BERLIN

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"
_SERIES = ("Guten Morgen, liebe Leserinnen und Leser. Dies ist der Überblick am Morgen: was in der Nacht "
           "geschah, was heute wichtig wird und worüber in den Hauptstädten gesprochen wird. Wie jeden Tag haben "
           "unsere Korrespondentinnen und Korrespondenten die Lage zusammengetragen, und wie jeden Tag beginnen "
           "wir mit dem Wichtigsten aus Politik und Wirtschaft, bevor wir zu den Hintergründen kommen, die "
           "Sie heute kennen sollten.")
_FILLER = ["nach", "Angaben", "zufolge", "weiterhin", "offenbar", "zudem", "jedoch", "bereits", "demnach", "erneut"]


@dataclass
class Text:
    id: str
    group: int
    kind: str
    outlet: str
    title: str
    body: str
    published_at: str
    agencies: list[str]
    authors: list[str]

    def record(self) -> dict[str, object]:
        return {"id": self.id, "outlet": self.outlet, "title": self.title, "body": self.body,
                "published_at": self.published_at, "agencies": self.agencies, "authors": self.authors}


def originals() -> list[dict[str, str]]:
    """Real bodies: the eval pages' truth (dev and intl) when present."""
    found = []
    for folder in ("dev", "intl"):
        truth = EVAL / folder / "truth.jsonl"
        if truth.exists():
            for line in truth.read_text("utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    found.append({"id": row["file"], "outlet": row["publisher"], "title": row["title"] or "",
                                  "body": row["body_text"] or ""})
    return found


def _edit(words: list[str], rng: random.Random, every: int) -> list[str]:
    return [rng.choice(_FILLER) if i % every == every - 1 else w for i, w in enumerate(words)]


def copies(body: str, others: list[str], rng: random.Random) -> dict[str, str]:
    paras = [p for p in body.split("\n\n") if p.strip()]
    half = max(2, (len(paras) + 1) // 2)
    edited = " ".join(_edit(" ".join(paras[:-1] if len(paras) > 2 else paras).split(), rng, 50))
    middle = len(paras) // 2
    return {
        "shortened": "\n\n".join(paras[:half]),
        "edited": "Wie die Nachrichtenagentur am Morgen meldete, gibt es neue Entwicklungen.\n\n" + edited + " (dpa)",
        "lead": "\n\n".join(paras[:3]) + "\n\nMehr zum Thema: " + rng.choice(others),
        "inserted": "\n\n".join([*paras[:middle], "Lesen Sie auch: " + rng.choice(others), *paras[middle:]]),
    }


def labelled_set(seed: int = 22) -> list[Text]:
    """Every text of the set, in the shuffled order a crawl would see them."""
    rng = random.Random(seed)
    base = datetime(2024, 3, 4, 6, 0, tzinfo=BERLIN)
    rows = originals()
    titles = [r["title"] for r in rows if r["title"]] or ["Ein anderer Artikel"]
    texts: list[Text] = []
    for group, row in enumerate(rows):
        if group % 10 == 3 and len(row["body"].split()) >= 300:
            row = {**row, "body": _SERIES + "\n\n" + row["body"]}
        start = base + timedelta(days=group % 7, minutes=group)
        wire = group % 2 == 0  # half the originals are agency copy
        texts.append(Text(f"{group}-original", group, "original", row["outlet"], row["title"], row["body"],
                          start.isoformat(), ["dpa"] if wire else [], [] if wire else ["Eine Autorin"]))
        for n, (kind, body) in enumerate(copies(row["body"], titles, rng).items(), start=1):
            texts.append(Text(f"{group}-{kind}", group, kind, f"client{n}", row["title"], body,
                              (start + timedelta(hours=n)).isoformat(), [], ["Redaktion"] if n % 2 else []))
    rng.shuffle(texts)
    return texts


@dataclass
class Scores:
    pairs: int
    duplicates: int
    true_positive: int
    false_positive: int
    false_negative: int

    @property
    def precision(self) -> float:
        found = self.true_positive + self.false_positive
        return self.true_positive / found if found else 1.0

    @property
    def recall(self) -> float:
        return self.true_positive / self.duplicates if self.duplicates else 1.0


def score(texts: list[Text], story_of: dict[str, str | None]) -> Scores:
    """Pair precision and recall: a pair is found when both texts are in one story."""
    tp = fp = fn = duplicates = pairs = 0
    for a, b in combinations(texts, 2):
        pairs += 1
        truth = a.group == b.group
        found = story_of.get(a.id) is not None and story_of.get(a.id) == story_of.get(b.id)
        duplicates += truth
        tp += truth and found
        fp += found and not truth
        fn += truth and not found
    return Scores(pairs, duplicates, tp, fp, fn)
