"""Does a change help across publishers, or only one? Two prediction files compared publisher by publisher.

``bench/extraction.py --save DIR`` writes an extractor's predictions for every page of
the eval sets; run it before and after a change and give both files here:

    python bench/publishers.py BEFORE.jsonl AFTER.jsonl [--field body_f1] [--pages 15]

For each field it prints the mean before and after, the change, and the leave-one-publisher-out
check: the change measured on all pages except one publisher's, for the publisher whose
removal leaves the smallest gain. A rule that helps only the publisher it was written for
shows no gain once that publisher is left out; one that hurts others shows a loss. Then,
for the chosen field, the publishers that gained and lost most, and the pages that changed most.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from extraction import DEFAULT_SETS, scorer

FIELDS = ("title_exact", "authors_f1", "date_minute", "date_day", "body_f1")


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def per_page(truth: list[dict], predictions: list[dict], score) -> dict[str, dict]:
    _, pages = score.score(truth, predictions)
    return {page["file"]: page for page in pages}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--eval", type=Path, action="append", help="an eval set (default: dev and intl)")
    ap.add_argument("--field", default="body_f1", choices=FIELDS, help="the field of the detailed lists")
    ap.add_argument("--pages", type=int, default=15, help="how many publishers and pages to list")
    args = ap.parse_args()
    sets = args.eval or DEFAULT_SETS
    score = scorer(sets[0])
    truth = [r for d in sets for r in score.load_jsonl(str(d / "truth.jsonl"))]
    publisher = {r["file"]: r["publisher"] for r in truth}
    before = per_page(truth, load(args.before), score)
    after = per_page(truth, load(args.after), score)

    print(f"{len(truth)} pages, {len(set(publisher.values()))} publishers")
    print(f"{'field':14}{'before':>9}{'after':>9}{'change':>9}   leave-one-publisher-out: smallest change")
    for name in FIELDS:
        old = [before[f].get(name) for f in publisher]
        new = [after[f].get(name) for f in publisher]
        pairs = [(f, o, n) for f, o, n in zip(publisher, old, new, strict=True) if o is not None and n is not None]
        if not pairs:
            continue
        change = sum(n - o for _, o, n in pairs) / len(pairs)
        by_publisher: dict[str, float] = defaultdict(float)
        for f, o, n in pairs:
            by_publisher[publisher[f]] += n - o
        total = sum(n - o for _, o, n in pairs)
        counts: dict[str, int] = defaultdict(int)
        for f, _, _ in pairs:
            counts[publisher[f]] += 1
        left_out = {p: (total - gain) / max(1, len(pairs) - counts[p]) for p, gain in by_publisher.items()}
        worst = min(left_out, key=lambda p: left_out[p] - change if change >= 0 else -left_out[p])
        print(f"{name:14}{sum(o for _, o, _ in pairs) / len(pairs):9.3f}{sum(n for _, _, n in pairs) / len(pairs):9.3f}"
              f"{change:+9.3f}   without {worst}: {left_out[worst]:+.3f}")

    gains: dict[str, list[float]] = defaultdict(list)
    for f in publisher:
        o, n = before[f].get(args.field), after[f].get(args.field)
        if o is not None and n is not None:
            gains[publisher[f]].append(n - o)
    ranked = sorted(((sum(v) / len(v), p) for p, v in gains.items()), reverse=True)
    helped = [(g, p) for g, p in ranked if g > 0.0005]
    hurt = [(g, p) for g, p in reversed(ranked) if g < -0.0005]
    print(f"\n{args.field}: {len(helped)} publishers gained, {len(hurt)} lost")
    for label, rows in (("gained", helped), ("lost", hurt)):
        for gain, name in rows[: args.pages]:
            print(f"  {label:7}{gain:+8.3f}  {name}")
    changed = sorted(
        ((after[f].get(args.field, 0) - before[f].get(args.field, 0), f) for f in publisher
         if before[f].get(args.field) is not None and after[f].get(args.field) is not None),
    )
    print(f"\npages that changed most ({args.field}: before -> after)")
    for delta, f in changed[: args.pages] + [c for c in changed[-args.pages:] if c[0] > 0]:
        if abs(delta) > 0.0005:
            print(f"  {delta:+7.3f}  {before[f][args.field]:.3f} -> {after[f][args.field]:.3f}  {f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
