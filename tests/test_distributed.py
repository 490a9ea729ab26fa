"""Two crawler processes sharing one frontier in a real redis-server (Debian's; .ci/run installs it).

The site is generated (tests/gensite.py): 300 articles behind 6 listing pages.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.gensite import GeneratedSite
from tests.test_crawl_e2e import read_jsonl

ROOT = Path(__file__).parents[1]
pytestmark = pytest.mark.redis
REDIS = shutil.which("redis-server")
PAGES = 300


@pytest.fixture(scope="module")
def redis_url():
    if REDIS is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    server = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait()


def worker(site: GeneratedSite, redis_url: str, crawl: str, out: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ELASTICSEARCH_URL", "CORPUS_ES_HOSTS")}
    env.update(CORPUS_REDIS_URL=redis_url, CORPUS_OUTPUT_DIR=str(out.parent),
               CORPUS_STATE_FILE=str(out.with_suffix(".sqlite")))
    return subprocess.Popen(
        [sys.executable, "-m", "scrapy", "crawl", "gensite", "-a", f"base_url={site.base_url}", "-a", "mode=backfill",
         "-a", "scope=all", "-a", "incremental=false", "-a", "max_pages=20", "-O", str(out),
         "-s", "SPIDER_MODULES=tests.redis_spiders", "-s", f"CORPUS_REDIS_CRAWL={crawl}",
         "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "ROBOTSTXT_OBEY=False",
         "-s", "CONCURRENT_REQUESTS=8", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = 240) -> str:
    _, stderr = process.communicate(timeout=timeout)
    assert process.returncode == 0, stderr[-3000:]
    return stderr


def articles(path: Path) -> list[str]:
    return [item["url"].rsplit("/", 1)[1] for item in read_jsonl(path) if item["item_type"] == "article"]


def test_two_workers_fetch_every_page_exactly_once(redis_url, tmp_path):
    crawl = f"test-{uuid.uuid4().hex[:8]}"
    # slow enough that neither worker can finish alone before the other one's engine asks for work
    # (an idle Scrapy engine asks every 5 s)
    with GeneratedSite(PAGES, article_delay=0.25) as site:
        first = worker(site, redis_url, crawl, tmp_path / "a.jsonl")
        second = worker(site, redis_url, crawl, tmp_path / "b.jsonl")
        log_a, log_b = finish(first), finish(second)
        fetches = site.article_fetches()
    a, b = articles(tmp_path / "a.jsonl"), articles(tmp_path / "b.jsonl")
    assert len(a) > 20 and len(b) > 20, (len(a), len(b))  # both did a share of the work
    assert set(a) | set(b) == {str(n) for n in range(PAGES)}  # together, every page
    assert not set(a) & set(b)  # none twice
    assert len(fetches) == PAGES and set(fetches.values()) == {1}  # each page fetched once from the site
    assert "scheduler/enqueued/redis" in log_a + log_b
    import redis

    assert redis.Redis.from_url(redis_url).keys(f"corpus:{crawl}:*") == []  # the last worker cleared the frontier


def test_a_killed_worker_loses_no_page(redis_url, tmp_path):
    crawl = f"test-{uuid.uuid4().hex[:8]}"
    with GeneratedSite(PAGES, article_delay=0.05) as site:
        victim = worker(site, redis_url, crawl, tmp_path / "a.jsonl")
        deadline = time.monotonic() + 120
        while sum(site.article_fetches().values()) < 60:
            assert victim.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        victim.send_signal(signal.SIGKILL)  # no clean-up at all: its requests in flight stay in Redis
        victim.wait()
        fetched_before = sum(site.article_fetches().values())
        survivor = worker(site, redis_url, crawl, tmp_path / "b.jsonl")
        log = finish(survivor)
        fetches = site.article_fetches()
    assert len(fetches) == PAGES  # every page was fetched
    again = [p for p, n in fetches.items() if n > 1]
    # only what the killed worker had taken and not finished came twice: its 8 downloads in flight and
    # the pages downloaded but not yet through its callbacks and pipelines
    assert 0 < len(again) <= 16
    assert "'corpus/redis/recovered'" in log and "is gone" in log
    assert 60 <= fetched_before < PAGES
    # the survivor wrote every page it fetched, the recovered ones included
    written = set(articles(tmp_path / "b.jsonl"))
    assert {p.rsplit("/", 1)[1] for p in again} <= written
