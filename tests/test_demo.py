"""`make demo`, the README's quickstart: a crawl of the bundled sample site, a count, a search and a citation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
pytestmark = pytest.mark.e2e


def test_the_demo_shows_the_whole_path(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("ELASTICSEARCH_URL", "CORPUS_ES_HOSTS")}
    if os.environ.get("ELASTICSEARCH_URL"):  # the node `make test` started: the demo indexes too
        env["ELASTICSEARCH_URL"] = os.environ["ELASTICSEARCH_URL"]
    env["CORPUS_OUTPUT_DIR"] = str(tmp_path / "data")
    result = subprocess.run([sys.executable, "-m", "corpus.demo"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    out = result.stdout
    assert "Crawl cicero finished (finished): 17 items written (5 articles, 12 comments)" in out
    assert "month,country,articles" in out and "2023-09,KP,1" in out
    assert "Neue Achse Russland-China-Nordkorea?" in out  # the search hit
    assert out.count("Lill, Felix. 2023.") == 1  # the citation
    assert list((tmp_path / "data" / "demo" / "cicero").glob("*.jsonl"))  # under the data directory, apart
    if "ELASTICSEARCH_URL" in env:
        assert "--source es" in out and "Elasticsearch: 17 indexed" in out
