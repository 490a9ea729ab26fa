"""Soak: three crawls in a row through a proxy that delays and refuses bulk requests at random (bench/soak.py).

Each crawl writes a few hundred items; afterwards index ∪ dead-letter must equal the JSON Lines
output exactly. The faults are seeded, and harsher than the benchmark's defaults (half the bulk
requests refused, one retry, the first two refused in every crawl), so that items go both ways.
"""

from __future__ import annotations

import os

import pytest

pytestmark = [pytest.mark.elasticsearch, pytest.mark.slow]


def test_three_crawls_through_random_bulk_faults_lose_nothing():
    from bench.soak import soak

    es_url = os.environ.get("ELASTICSEARCH_URL")
    if not es_url:
        pytest.skip("ELASTICSEARCH_URL is not set: `make test` starts a node, or run `make es-up` first")
    lines: list[str] = []
    # the first two bulk requests of each crawl are refused: with one retry, the first batch goes to the
    # dead-letter file whatever the timing; the rest meet the random faults
    runs = soak(es_url, runs=3, articles=100, comments=2, seed=150, refuse=0.5, stall=0.1, max_delay=3.0,
                retries=1, refuse_first=2, say=lines.append)
    report = "\n".join(lines)
    assert all(run.ok for run in runs), report
    assert all(run.written == 300 for run in runs), report
    assert sum(run.refused for run in runs) > 0, report  # the faults happened
    assert sum(run.deadlettered for run in runs) > 0 and sum(run.indexed for run in runs) > 0, report
