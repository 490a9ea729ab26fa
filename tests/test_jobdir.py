"""A crawl killed with SIGKILL and started again with the same JOBDIR: nothing lost, nothing indexed twice.

The crawl runs on the generated site (tests/gensite.py: 200 articles with two
reader comments each, slowed down so that pages are in flight at the kill),
with eight requests at a time and a checkpoint every half second. The first
run is killed once a quarter of the articles were fetched and its output holds
something; the second run, with the same JOBDIR, finishes the crawl.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from corpus.frontier import Frontier
from tests.gensite import GeneratedSite
from tests.test_crawl_e2e import read_jsonl

ROOT = Path(__file__).parents[1]
PAGES = 200
COMMENTS = 2
pytestmark = pytest.mark.e2e


def command(site: GeneratedSite, jobdir: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "scrapy", "crawl", "gensite-comments", "-a", f"base_url={site.base_url}",
            "-a", "mode=backfill", "-a", "scope=all", "-a", "incremental=false", "-o", str(out),
            "-s", "SPIDER_MODULES=tests.redis_spiders", "-s", "ROBOTSTXT_OBEY=False", "-s", "DOWNLOAD_DELAY=0",
            "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS=8",
            "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", "CORPUS_JOB_CHECKPOINT=0.5",
            "-s", "CORPUS_ES_FLUSH_INTERVAL=0.5", "-s", f"JOBDIR={jobdir}"]


def done(jobdir: Path) -> int:
    """Requests the frontier has marked done: seen and no longer queued."""
    if not (jobdir / "frontier.sqlite").exists():
        return 0
    try:
        frontier = Frontier(jobdir / "frontier.sqlite")
        try:
            return frontier.seen_count() - frontier.queued() - frontier.taken()
        finally:
            frontier.close()
    except sqlite3.OperationalError:  # being created right now
        return 0


def kill_and_resume(tmp_path: Path, env: dict[str, str]) -> tuple[GeneratedSite, str, Counter[str]]:
    """Run, SIGKILL in the middle, run again; returns the site, the second run's log, fetches per path."""
    jobdir = tmp_path / "job"
    out1 = tmp_path / "out1.jsonl"
    with GeneratedSite(PAGES, article_delay=0.2, comments=COMMENTS) as site:
        first = subprocess.Popen(command(site, jobdir, out1), cwd=ROOT, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        # killed after checkpoints marked pages done (with Elasticsearch the first one waits for the
        # indices to be created), while more are in flight and queued
        while sum(site.article_fetches().values()) < PAGES // 4 or done(jobdir) < 20:
            assert first.poll() is None, first.stderr.read()[-3000:] if first.stderr else ""
            assert time.monotonic() < deadline, "the first run made no progress"
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)  # no clean-up of any kind
        first.wait()
        first.stderr.close()
        fetched_first = sum(site.article_fetches().values())
        assert fetched_first < PAGES  # killed in the middle
        frontier = Frontier(jobdir / "frontier.sqlite")
        in_flight, queued = frontier.taken(), frontier.queued()
        frontier.close()
        assert in_flight > 0 and queued > 0  # pages were in flight at the kill, more were waiting

        second = subprocess.run(command(site, jobdir, tmp_path / "out2.jsonl"), cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=300)
        assert second.returncode == 0, second.stderr[-4000:]
        return site, second.stderr, site.article_fetches()


def items(path: Path) -> list[dict]:
    return read_jsonl(path) if path.exists() else []


def check_output(tmp_path: Path, log: str, fetches: Counter[str]) -> None:
    assert "requests were in flight when the last run stopped; they are fetched again" in log
    first, second = items(tmp_path / "out1.jsonl"), items(tmp_path / "out2.jsonl")
    assert first, "the killed run wrote nothing before the kill (the kill came too early to test anything)"

    def ids(batch: list[dict], kind: str) -> Counter[str]:
        return Counter(i["id"] for i in batch if i["item_type"] == kind)

    # nothing lost: every article and every comment is in the output of one of the runs
    articles = ids(first, "article") + ids(second, "article")
    comments = ids(first, "comment") + ids(second, "comment")
    assert len(articles) == PAGES
    assert len(comments) == PAGES * COMMENTS
    # each run writes a page once; a page appears in both outputs only if it was fetched twice
    # (in flight at the kill, or finished after the last checkpoint)
    assert max(ids(first, "article").values()) == 1 and max(ids(second, "article").values()) == 1
    urls_twice = {i["url"].rsplit("/", 1)[1] for i in first + second
                  if i["item_type"] == "article" and articles[i["id"]] > 1}
    fetched_twice = {path.rsplit("/", 1)[1] for path, n in fetches.items() if n > 1}
    assert urls_twice <= fetched_twice
    # the second run continued the queue instead of starting over: most pages were fetched once
    assert all(n <= 2 for n in fetches.values())
    assert len(fetched_twice) < PAGES // 4, fetched_twice


def local_env(tmp_path: Path) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if k != "ELASTICSEARCH_URL"},
            "CORPUS_OUTPUT_DIR": str(tmp_path / "data"), "CORPUS_STATE_FILE": str(tmp_path / "state.sqlite")}


def test_a_crawl_killed_with_sigkill_resumes_without_loss(tmp_path):
    _site, log, fetches = kill_and_resume(tmp_path, local_env(tmp_path))
    check_output(tmp_path, log, fetches)
    # the local state recorded as written only comments the output holds: none was skipped
    # as "already written" after the restart (checked above: all comments are in the output)


@pytest.mark.elasticsearch
def test_a_crawl_killed_with_sigkill_indexes_every_page_once(tmp_path, es_url, es, prefix):
    env = {**local_env(tmp_path), "ELASTICSEARCH_URL": es_url, "CORPUS_ES_PREFIX": prefix,
           "CORPUS_ES_DEADLETTER_DIR": str(tmp_path / "deadletter")}
    _site, log, fetches = kill_and_resume(tmp_path, env)
    check_output(tmp_path, log, fetches)
    es.indices.refresh(index=f"{prefix}-*")
    assert es.count(index=f"{prefix}-articles")["count"] == PAGES
    assert es.count(index=f"{prefix}-comments")["count"] == PAGES * COMMENTS
    # a page fetched twice overwrote its own document: no second version, nothing in the history
    versions = es.search(index=f"{prefix}-articles", size=0,
                         aggs={"v": {"terms": {"field": "version"}}})["aggregations"]["v"]["buckets"]
    assert [(b["key"], b["doc_count"]) for b in versions] == [(1, PAGES)]
    history = es.options(ignore_status=404).count(index=f"{prefix}-articles-history")
    assert history.get("count", 0) == 0
    assert not (tmp_path / "deadletter").exists() or not any((tmp_path / "deadletter").rglob("*.jsonl"))


def test_a_second_crawl_on_the_same_jobdir_is_refused_in_one_line(tmp_path):
    """Two crawls on one JOBDIR would share a frontier (the second waited for ever at 0 pages/min)."""
    jobdir = tmp_path / "job"
    env = local_env(tmp_path)
    with GeneratedSite(40, article_delay=0.3) as site:
        first = subprocess.Popen(command(site, jobdir, tmp_path / "out1.jsonl"), cwd=ROOT, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not site.article_fetches():
            assert first.poll() is None and time.monotonic() < deadline, "the first crawl did not start"
            time.sleep(0.05)
        second = subprocess.run(command(site, jobdir, tmp_path / "out2.jsonl"), cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=60)
        _, first_log = first.communicate(timeout=120)
    assert second.returncode == 1
    error_lines = [line for line in second.stderr.splitlines() if line.startswith("error:")]
    assert error_lines == [f"error: JOBDIR {jobdir} is in use by another crawl (pid {first.pid}); wait for it to "
                           "end, or give this crawl its own JOBDIR"], second.stderr[-2000:]
    assert "Traceback" not in second.stderr and not (tmp_path / "out2.jsonl").exists()
    assert first.returncode == 0, first_log[-2000:]
    assert len(items(tmp_path / "out1.jsonl")) == 40  # the first crawl went on undisturbed


def without_jobdir(site: GeneratedSite, out: Path) -> list[str]:
    """The crawl of command(), incremental and without JOBDIR."""
    args = command(site, Path("unused"), out)
    args = args[:-2]  # "-s", "JOBDIR=..."
    return [a.replace("incremental=false", "incremental=true") for a in args]


def test_a_crawl_killed_without_jobdir_loses_no_article_to_the_incremental_state(tmp_path):
    """Without JOBDIR a killed crawl is not resumed, but the next crawl must still fetch every article the killed
    one did not write: the local state may record an article only once the output holds it."""
    env = local_env(tmp_path)
    out1, out2 = tmp_path / "out1.jsonl", tmp_path / "out2.jsonl"
    with GeneratedSite(PAGES, article_delay=0.2, comments=COMMENTS) as site:
        first = subprocess.Popen(without_jobdir(site, out1), cwd=ROOT, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while sum(site.article_fetches().values()) < PAGES // 3:
            assert first.poll() is None and time.monotonic() < deadline, "the first run made no progress"
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait()
        second = subprocess.run(without_jobdir(site, out2), cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=300)
        assert second.returncode == 0, second.stderr[-3000:]
    written = {i["id"] for i in items(out1) + items(out2) if i["item_type"] == "article"}
    assert len(written) == PAGES  # none skipped as "known" without having been written
