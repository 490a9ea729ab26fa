"""Near-duplicate stories on a labelled set of real texts and their agency-style copies.

    python bench/stories.py [--thresholds 0.3,0.4,0.5,0.6,0.7]

The set (tests/story_pairs.py says how it is built): the 215 real bodies of ../shared/eval and
four copies of each. Prints, per overlap threshold, the precision and recall of duplicate pairs
(a pair is found when both texts end up in one story, placed one by one in a shuffled order as
the stories pipeline places them), the wire-copy flags' accuracy, and the time per article
(signature and placement) against computing the signatures alone in the same process.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corpus.runner import project_settings  # noqa: E402
from corpus.stories import StoryIndex, member_of  # noqa: E402
from corpus.stories.minhash import signature  # noqa: E402
from tests.story_pairs import labelled_set, score  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--thresholds", default="0.3,0.4,0.5,0.6,0.7")
    args = parser.parse_args()
    texts = labelled_set()
    if not texts:
        sys.exit("bench/stories.py: ../shared/eval not found: no texts to build the set from")
    groups = len({t.group for t in texts})
    print(f"labelled set: {len(texts)} texts ({groups} originals, {len(texts) - groups} copies)")
    records = [t.record() for t in texts]
    started = time.process_time()
    for record in records:
        signature(record["body"])
    signatures_only = time.process_time() - started
    default = project_settings().getfloat("CORPUS_STORY_THRESHOLD")
    for threshold in (float(v) for v in args.thresholds.split(",")):
        index = StoryIndex(threshold=threshold)
        started = time.process_time()
        for record in records:
            member, _ = member_of(record)
            assert member is not None
            index.add(member)
        placing = time.process_time() - started
        stories = {t.id: index.members[t.id].story_id for t in texts}
        result = score(texts, stories)
        wire_truth = {t.group for t in texts if t.agencies and not t.authors}
        wire_right = sum(index.members[t.id].wire_copy == (t.group in wire_truth) for t in texts)
        print(f"threshold {threshold:.2f}: pairs {result.pairs}, duplicates {result.duplicates}; "
              f"precision {result.precision:.3f} recall {result.recall:.3f} "
              f"(FP {result.false_positive}, FN {result.false_negative}); wire_copy right {wire_right}/{len(texts)}; "
              f"{placing / len(texts) * 1000:.2f} ms/article "
              f"({placing / signatures_only:.2f}x the signatures alone)")
        if threshold == default:
            met = result.precision >= 0.95 and result.recall >= 0.90
            print(f"goal at the default threshold ({default}): precision >= 0.95 at recall >= 0.90: "
                  f"{'PASS' if met else 'FAIL'}")


if __name__ == "__main__":
    main()
