"""Pages filled in by JavaScript and a consent overlay: plain HTTP against real headless Chromium.

Needs Chromium (``apt-get install chromium``; .ci/run installs it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.mockserver import FixtureServer
from tests.test_crawl_e2e import by_type, read_jsonl

ROOT = Path(__file__).parents[1]
pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")


def crawl(spider: str, server: FixtureServer, out: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("ELASTICSEARCH_URL", "CORPUS_ES_HOSTS")}
    env["CORPUS_OUTPUT_DIR"] = str(out.parent)
    env["CORPUS_STATE_FILE"] = str(out.parent / f"{spider}.sqlite")
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", spider, "-a", f"base_url={server.base_url}", "-a", "scope=all",
         "-O", str(out), "-s", "SPIDER_MODULES=tests.browser_spiders", "-s", "DOWNLOAD_DELAY=0",
         "-s", "AUTOTHROTTLE_ENABLED=False", *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )


@pytest.fixture
def site():
    with FixtureServer("jssite", "https://www.js-beispiel.de") as server:
        yield server


def test_plain_http_sees_no_articles_on_script_filled_pages(site, tmp_path):
    result = crawl("jssite-plain", site, tmp_path / "plain.jsonl")
    assert result.returncode == 0, result.stderr[-3000:]
    assert read_jsonl(tmp_path / "plain.jsonl") == []
    assert result.stderr.count("yielded no article links") == 2
    assert "playwright" not in result.stderr.lower()  # no browser started for a plain crawl


@needs_chromium
def test_the_browser_finds_script_inserted_articles_comments_and_gets_past_consent(site, tmp_path):
    result = crawl("jssite", site, tmp_path / "browser.jsonl")
    assert result.returncode == 0, result.stderr[-3000:]
    articles, comments = by_type(read_jsonl(tmp_path / "browser.jsonl"))
    assert sorted(a["title"] for a in articles) == [
        "China und Russland handeln mehr denn je",  # linked only after the consent click
        "Kim und Putin vereinbaren engere Zusammenarbeit",
        "Nordkorea testet eine neue Rakete",
    ]
    assert [(c["author"], c["comment_id"]) for c in comments] == [("Leserin Kwon", "701"), ("Leser Hoffmann", "702")]
    stats = result.stderr
    assert "'corpus/browser/requests': 5" in stats  # two listings, three articles
    assert "'playwright/page_count/closed': 5" in stats  # every page closed after use
    # images, media and fonts are not loaded; robots.txt went over plain HTTP
    assert "/robots.txt" in site.requests


@needs_chromium
def test_browser_contexts_are_replaced_every_n_pages(site, tmp_path):
    result = crawl("jssite", site, tmp_path / "browser.jsonl", "-s", "CORPUS_BROWSER_CONTEXT_PAGES=2",
                   "-s", "CONCURRENT_REQUESTS=1")
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(by_type(read_jsonl(tmp_path / "browser.jsonl"))[0]) == 3
    # five pages, two per context: contexts 0, 1 and 2; the first two closed once their pages were done
    assert "'playwright/context_count': 3" in result.stderr
    assert "'corpus/browser/contexts_closed': 2" in result.stderr


def test_a_missing_chromium_is_a_clear_usage_error(site, tmp_path):
    result = crawl("jssite", site, tmp_path / "x.jsonl", "-s", "CORPUS_CHROMIUM_PATH=/nonexistent/chromium")
    assert result.returncode == 2
    expected = "renders pages in a browser: CORPUS_CHROMIUM_PATH=/nonexistent/chromium is not an executable"
    assert expected in result.stderr
    assert not (tmp_path / "x.jsonl").exists()
