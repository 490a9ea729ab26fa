"""One data directory for every file the project writes, wherever a command is started."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from corpus.paths import PROJECT_ROOT, data_dir, default_data_dir
from tests.conftest import free_port
from tests.mockserver import FixtureServer

ROOT = Path(__file__).parents[1]
CORPUS = [sys.executable, "-m", "corpus.cli"]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("ELASTICSEARCH_URL", "CORPUS_ES_HOSTS", "CORPUS_OUTPUT_DIR", "CORPUS_STATE_FILE",
                        "CORPUS_ES_DEADLETTER_DIR")}
    return {**env, **extra}


def test_the_default_is_the_checkouts_data_directory_and_relative_values_become_absolute(tmp_path, monkeypatch):
    monkeypatch.delenv("CORPUS_OUTPUT_DIR", raising=False)
    assert PROJECT_ROOT == ROOT and default_data_dir() == ROOT / "data" and data_dir() == ROOT / "data"
    monkeypatch.chdir(tmp_path)
    assert data_dir("rel/data") == tmp_path / "rel" / "data"
    monkeypatch.setenv("CORPUS_OUTPUT_DIR", "from-env")
    assert data_dir() == tmp_path / "from-env"


@pytest.mark.e2e
def test_a_crawl_from_another_directory_writes_everything_under_the_data_directory(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with FixtureServer("cicero", "https://www.cicero.de") as server:
        result = subprocess.run(
            [*CORPUS, "crawl", "cicero", "-a", f"base_url={server.base_url}", "-s", "DOWNLOAD_DELAY=0",
             "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CORPUS_ES_MAX_RETRIES=0"],
            cwd=elsewhere, capture_output=True, text=True, timeout=180,
            # relative, from the directory the crawl runs in; Elasticsearch away, so dead-letter files are written
            env=clean_env(CORPUS_OUTPUT_DIR="corpus-data", ELASTICSEARCH_URL=f"http://127.0.0.1:{free_port()}"))
    assert result.returncode == 0, result.stderr[-3000:]
    data = elsewhere / "corpus-data"
    assert f"Data directory: {data}" in result.stderr
    written = {str(p.relative_to(data)).split("/")[0] for p in data.rglob("*") if p.is_file()}
    assert {"cicero", "state.sqlite", "crawls.jsonl", "deadletter"} <= written, written
    (output,) = (data / "cicero").glob("*.jsonl")
    assert len(output.read_text().splitlines()) == 14
    assert list(elsewhere.iterdir()) == [data]  # nothing else in the directory the crawl ran in


@pytest.mark.e2e
def test_the_scheduler_passes_its_data_directory_to_its_crawls_and_finds_its_file_anywhere(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    listing = subprocess.run([*CORPUS, "schedule", "--list"], cwd=elsewhere, capture_output=True, text=True,
                             timeout=60, env=clean_env())
    assert listing.returncode == 0, listing.stderr  # the project's schedules.toml, found from anywhere
    assert "cicero-recent" in listing.stdout
    data = tmp_path / "data"
    with FixtureServer("cicero", "https://www.cicero.de") as server:
        schedule = tmp_path / "s.toml"
        schedule.write_text(f'[jobs.cicero-recent]\nspider = "cicero"\ncron = "0 */3 * * *"\n'
                            f'args = {{ base_url = "{server.base_url}" }}\n'
                            f'settings = {{ DOWNLOAD_DELAY = "0", AUTOTHROTTLE_ENABLED = "False" }}\n')
        result = subprocess.run([*CORPUS, "schedule", "--once", "--file", str(schedule), "--data-dir", str(data)],
                                cwd=elsewhere, capture_output=True, text=True, timeout=300, env=clean_env())
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"Data directory: {data}" in result.stderr
    (output,) = (data / "cicero").glob("*.jsonl")
    assert len(output.read_text().splitlines()) == 14
    assert (data / "state.sqlite").exists() and list((data / "logs" / "cicero-recent").glob("*.log"))
    (record,) = [json.loads(line) for line in (data / "crawls.jsonl").read_text().splitlines()]
    assert record["job"] == "cicero-recent" and record["status"] == "ok"
    assert list(elsewhere.iterdir()) == []
