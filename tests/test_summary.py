"""The end-of-crawl summary names every count a person needs to trust the run."""

from __future__ import annotations

import logging

import pytest

from corpus.health import summary
from tests.mockserver import FixtureServer
from tests.test_crawl_e2e import crawl


def text(lines: list[tuple[int, str]]) -> str:
    return "\n".join(line for _, line in lines)


def test_the_summary_says_what_was_written_skipped_and_left_incomplete():
    class Args:
        since = "2023-01-01"
        max_pages = 5

    stats = {"item_scraped_count": 65, "corpus/written/article": 5, "corpus/written/comment": 60,
             "corpus/dropped/article/out_of_scope": 2, "corpus/pages/article": 7, "corpus/pages/listing": 5,
             "corpus/comments/found": 64, "corpus/seen/new": 7, "corpus/seen/skipped": 40,
             "corpus/skipped/older_than_since": 3, "corpus/sitemap/older_than_window": 4,
             "corpus/listing/stopped_max_pages": 2, "corpus/listing/short_of_since": 2, "corpus/links/capped": 10,
             "scheduler/enqueued": 100, "scheduler/dequeued": 63, "corpus/errors/http/404": 2}
    lines = summary("cicero", stats, "shutdown", unwritten=(5, 65), args=Args())
    out = text(lines)
    assert "Crawl cicero finished (shutdown): 65 items written (5 articles, 60 comments); " \
           "dropped: article/out_of_scope=2" in out
    assert "skipped: 40 links to articles the corpus has (incremental); 7 articles older than since=2023-01-01" in out
    assert "2 listings stopped at max_pages=5 before reaching since=2023-01-01" in out
    assert "10 links left out of pages with too many" in out
    assert "5 articles (65 items with their comments) waiting for a comment page when the crawl stopped" in out
    assert "37 requests queued but not fetched" in out
    assert "errors: http/404=2" in out
    assert max(level for level, line in lines if "incomplete" in line) == logging.WARNING


def test_a_complete_run_says_so_briefly():
    stats = {"item_scraped_count": 14, "corpus/written/article": 3, "corpus/written/comment": 11,
             "corpus/pages/article": 4, "scheduler/enqueued": 20, "scheduler/dequeued": 20}
    out = text(summary("cicero", stats, "finished"))
    assert "14 items written (3 articles, 11 comments); dropped: none" in out
    assert "incomplete" not in out and "errors" not in out


@pytest.mark.e2e
def test_a_second_crawl_and_a_short_backfill_say_what_they_skipped(tmp_path):
    state = {"CORPUS_STATE_FILE": str(tmp_path / "state.sqlite")}
    with FixtureServer("cicero", "https://www.cicero.de") as server:
        base = ["-a", f"base_url={server.base_url}"]
        assert crawl(*base, "-O", str(tmp_path / "1.jsonl"), env=state).returncode == 0
        second = crawl(*base, "-O", str(tmp_path / "2.jsonl"), env=state)
        short = crawl(*base, "-a", "mode=backfill", "-a", "since=2020-01-01", "-a", "max_pages=1",
                      "-a", "incremental=false", "-O", str(tmp_path / "3.jsonl"), env=state)
    assert "0 items written (0 articles, 0 comments)" in second.stderr
    assert "links to articles the corpus has (incremental)" in second.stderr
    assert "stopped at max_pages=1 before reaching since=2020-01-01" in short.stderr
    assert "incomplete: " in short.stderr
