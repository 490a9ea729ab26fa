"""An article never depends on its next comment page being fetched.

A served site with one article per way a comment pager can fail: a site that ignores
``?page=N`` (the "next" page is the page itself), a pager loop (page 2 links back to page 1),
a comment page on another host, a comment page that answers 404, and a pager that never ends.
Each article must come out once, with every distinct comment its pages showed.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest

from tests.faultserver import answer, runspider, serve
from tests.gensite import _comment_html, article_html

pytestmark = pytest.mark.e2e

SPIDER = '''
import re
from corpus.spider import OutletSpider
from spiders.cicero import CiceroParser

class Pagers(OutletSpider):
    name = "pagers"
    base_url = "http://127.0.0.1"
    feeds = ("/feed",)
    article_path = re.compile(r"^/a/\\d+$")
    parser = CiceroParser
'''


def _page(n: int, comments: list[int], next_href: str | None) -> bytes:
    html = article_html(n).decode()
    pager = f'<a rel="next" href="{next_href}">weiter</a>' if next_href else ""
    section = "".join(_comment_html(n, i) for i in comments) + pager
    return html.replace('class="comments"></section>', f'class="comments">{section}</section>').encode()


class PagerSite:
    """/a/1 ignores ?page=N; /a/2 loops 1 -> 2 -> 1; /a/3 continues on another host; /a/4's next page is
    a 404; /a/5 has a pager without end; /a/6 has one ordinary second page."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()

        def respond(handler) -> None:  # type: ignore[no-untyped-def]
            self.hits[handler.path] += 1
            path, _, query = handler.path.partition("?")
            page = int(query.removeprefix("page=")) if query.startswith("page=") else 0
            if path == "/feed":
                items = "".join(f"<item><link>http://127.0.0.1:{self.port}/a/{n}</link></item>" for n in range(1, 7))
                return answer(handler, body=f"<rss><channel>{items}</channel></rss>".encode(),
                              headers={"Content-Type": "application/rss+xml"})
            pages = {
                "/a/1": lambda: _page(1, [0, 1], "?page=1"),  # every ?page=N is this same page
                "/a/2": lambda: _page(2, [10 * page, 10 * page + 1], f"?page={1 if page == 2 else page + 1}"),
                "/a/3": lambda: _page(3, [0, 1], f"http://localhost:{self.port}/a/3?page=1"),
                "/a/4": lambda: _page(4, [0, 1], "?page=1") if page == 0 else None,
                "/a/5": lambda: _page(5, [page], f"?page={page + 1}"),
                "/a/6": lambda: _page(6, [page], "?page=1" if page == 0 else None),
            }
            body = pages[path]() if path in pages else None
            if body is None:
                return answer(handler, 404, b"not found")
            return answer(handler, body=body, headers={"Content-Type": "text/html; charset=utf-8"})

        self.port = serve(respond)


def test_an_article_never_waits_on_a_comment_page_that_is_not_fetched(tmp_path):
    site = PagerSite()
    result, items = runspider(tmp_path, SPIDER, "-a", f"base_url=http://127.0.0.1:{site.port}",
                              "-a", "max_comment_pages=5", "-s", "CORPUS_INCREMENTAL=False",
                              "-s", f"CORPUS_STATE_FILE={tmp_path / 'state.sqlite'}", "-s", "ROBOTSTXT_OBEY=False",
                              "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False")
    articles = {i["url"].rsplit("/", 1)[1]: i for i in items if i["item_type"] == "article"}
    comments: dict[str, list[str]] = {}
    for item in items:
        if item["item_type"] == "comment":
            comments.setdefault(item["article_url"].rsplit("/", 1)[1], []).append(item["comment_id"])
    assert sorted(articles) == ["1", "2", "3", "4", "5", "6"], result.stderr[-6000:]
    assert comments["1"] == ["1-0", "1-1"]  # ?page=1 is the same page: its comments are not new
    assert comments["2"] == ["2-0", "2-1", "2-10", "2-11", "2-20", "2-21"]  # the loop back to page 1 ends it
    assert comments["3"] == ["3-0", "3-1"]  # the next page is on another host: not followed
    assert comments["4"] == ["4-0", "4-1"]  # the next page answered 404
    assert comments["5"] == ["5-0", "5-1", "5-2", "5-3", "5-4"]  # max_comment_pages=5
    assert comments["6"] == ["6-0", "6-1"]  # an ordinary second page
    assert {n: a["comment_count"] for n, a in articles.items()} == {"1": 2, "2": 6, "3": 2, "4": 2, "5": 5, "6": 2}
    assert "/a/3?page=1" not in "".join(site.hits)  # the other host was never asked
    assert site.hits["/a/2?page=1"] == 1 and site.hits["/a/1?page=1"] == 1
    assert "'corpus/comments/pager_loop': 2" in result.stderr
    assert "'corpus/comments/offsite_page': 1" in result.stderr
    assert "'corpus/comments/stopped_max_pages': 1" in result.stderr


def test_a_stopped_crawl_reports_the_articles_still_waiting_for_a_comment_page(tmp_path):
    """Ctrl-C while an article's comment page is queued: nothing can write it any more, so the close says so."""
    import signal
    import subprocess
    import sys
    import time

    from tests.faultserver import ROOT

    def respond(handler) -> None:  # type: ignore[no-untyped-def]
        path, _, query = handler.path.partition("?")
        if path == "/feed":
            items = "".join(f"<item><link>http://127.0.0.1:{port}/a/{n}</link></item>" for n in (1, 2))
            return answer(handler, body=f"<rss><channel>{items}</channel></rss>".encode(),
                          headers={"Content-Type": "application/rss+xml"})
        if query:
            time.sleep(6)  # the first comment page is in flight at the SIGINT, the second still queued
        page = _page(int(path[-1]), [5] if query else [0, 1], None if query else "?page=1")
        return answer(handler, body=page, headers={"Content-Type": "text/html; charset=utf-8"})

    port = serve(respond)
    (tmp_path / "pagers.py").write_text(SPIDER)
    process = subprocess.Popen(
        [sys.executable, "-m", "scrapy", "runspider", str(tmp_path / "pagers.py"), "-a",
         f"base_url=http://127.0.0.1:{port}", "-O", str(tmp_path / "out.jsonl"), "-s", "CORPUS_INCREMENTAL=False",
         "-s", f"CORPUS_OUTPUT_DIR={tmp_path}", "-s", "ROBOTSTXT_OBEY=False", "-s", "DOWNLOAD_DELAY=0",
         "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS=1"],
        cwd=ROOT, stderr=subprocess.PIPE, text=True, env={k: v for k, v in os.environ.items()
                                                          if k not in ("ELASTICSEARCH_URL", "CORPUS_ES_HOSTS")})
    time.sleep(4)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert "1 articles (3 items with their comments) were waiting for a comment page when the crawl stopped " \
           "(shutdown) and were not written; run with -s JOBDIR=" in stderr, stderr[-3000:]
    assert "'corpus/comments/held_at_close': 1" in stderr
    # and the end-of-crawl summary counts them as not written, not as "dropped: none" alone
    assert "1 article (3 items with their comments) waiting for a comment page when the crawl stopped, " \
           "not written" in stderr
