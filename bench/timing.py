"""Timing a ``corpus`` command as a user runs it: its own process, start-up included."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed_corpus(args: list[str], data: Path, stdin: Path | None = None, fresh: bool = True) -> tuple[float, str]:
    """``corpus ARGS`` on the data directory ``data`` (emptied first unless ``fresh`` is false), without
    Elasticsearch: its wall seconds and what it printed; a failure ends the benchmark with its log's tail."""
    if fresh:
        shutil.rmtree(data, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k not in ("ELASTICSEARCH_URL", "CORPUS_ES_HOSTS")}
    env["CORPUS_OUTPUT_DIR"] = str(data)
    started = time.perf_counter()
    with open(stdin or os.devnull, "rb") as source:
        result = subprocess.run([sys.executable, "-m", "corpus.cli", *args], cwd=ROOT, env=env, stdin=source,
                                capture_output=True, timeout=3600)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.stderr.write(result.stderr.decode("utf-8", "replace")[-3000:])
        raise SystemExit(f"corpus {' '.join(args)} failed with exit status {result.returncode}")
    return elapsed, result.stdout.decode("utf-8", "replace")
