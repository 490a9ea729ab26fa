"""Precision and recall of the scope decision on the labelled sets.

    python bench/scope.py

Sets: tests/data/scope_cases.jsonl (written while building the tagger, so
optimistic), tests/data/scope_heldout.jsonl (written afterwards and not tuned
on), and the real pages of ../shared/eval/dev when present (title and body
from their checked truth; labels in tests/data/eval_scope_labels.json).
"""

from __future__ import annotations

import json
from pathlib import Path

from corpus.topics import default_tagger

ROOT = Path(__file__).parents[1]
DATA = ROOT / "tests" / "data"
EVAL = ROOT.parent / "shared" / "eval" / "dev" / "truth.jsonl"


def _load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def report(name: str, cases: list[tuple[str, str | None, str | None, str | None, bool]]) -> None:
    tagger = default_tagger()
    tp = fp = fn = tn = 0
    misses = []
    for label, title, teaser, body, truth in cases:
        predicted = tagger.tag(title, teaser, body).in_scope
        tp += predicted and truth
        fp += predicted and not truth
        fn += truth and not predicted
        tn += not predicted and not truth
        if predicted != truth:
            misses.append(f"{'FP' if predicted else 'FN'} {label}")
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    print(f"{name}: n={len(cases)} (in scope {tp + fn}); TP {tp} FP {fp} FN {fn} TN {tn}; "
          f"precision {precision:.2f} recall {recall:.2f}")
    for miss in misses:
        print(f"    {miss}")


def main() -> None:
    for file in ("scope_cases.jsonl", "scope_heldout.jsonl"):
        rows = _load(DATA / file)
        report(file, [(r["note"], r["title"], r["teaser"], r["body"], r["in_scope"]) for r in rows])
    if EVAL.exists():
        labels = set(json.loads((DATA / "eval_scope_labels.json").read_text("utf-8"))["in_scope"])
        rows = _load(EVAL)
        report("eval pages", [(r["file"], r["title"], None, r["body_text"], r["file"] in labels) for r in rows])
    else:
        print(f"eval pages: skipped, {EVAL} not found")


if __name__ == "__main__":
    main()
