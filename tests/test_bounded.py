"""Bounded work: one sitemap budget per crawl, a depth limit for nested indexes, and a cap on links per page.

The spider's callbacks are driven by hand over generated documents (a sitemap tree with no end, a feed
and a listing with 5,000 links), each loop bounded, so every request the crawl would make is counted.
"""

from __future__ import annotations

import logging
from collections import deque

import scrapy
from scrapy.http import HtmlResponse, XmlResponse

from tests.conftest import make_spider

BASE = "https://www.cicero.de"


def endless_index(url: str, children: int = 50) -> bytes:
    """A sitemap index whose every child is another index (each with ``children`` entries), for ever."""
    entries = "".join(f"<sitemap><loc>{url.removesuffix('.xml')}-{n}.xml</loc></sitemap>" for n in range(children))
    return f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'.encode()


def drive(spider, first: scrapy.Request, body, limit: int = 10_000) -> list[scrapy.Request]:
    """Run the callbacks of ``first`` and every sitemap request it leads to; return all requests made."""
    made, queue = [], deque([first])
    for _ in range(limit):
        if not queue:
            return made
        request = queue.popleft()
        response = XmlResponse(url=request.url, body=body(request.url), request=request)
        for output in request.callback(response, **request.cb_kwargs):
            made.append(output)
            if output.callback == spider.parse_sitemap:
                queue.append(output)
    raise AssertionError(f"more than {limit} sitemap documents: the fan-out is not bounded")


def test_nested_sitemap_indexes_share_one_budget_and_a_depth_limit(caplog):
    spider = make_spider(mode="backfill", max_pages="20", sources="sitemap")
    first = scrapy.Request(f"{BASE}/sitemap.xml", callback=spider.parse_sitemap)
    made = drive(spider, first, endless_index)
    sitemaps = [r for r in made if r.callback == spider.parse_sitemap]
    assert len(sitemaps) == 20  # max_pages is one budget for all sitemap files of the crawl
    assert max(r.cb_kwargs["depth"] for r in sitemaps) <= 2
    stats = spider.crawler.stats.get_stats()
    assert stats["corpus/sitemap/stopped_budget"] > 0
    assert "sitemap budget of 20 files reached (max_pages)" in caplog.text


def test_an_index_deeper_than_the_limit_is_not_followed(caplog):
    spider = make_spider(mode="backfill", max_pages="1000", sources="sitemap",
                         _settings={"CORPUS_SITEMAP_MAX_DEPTH": 2})
    first = scrapy.Request(f"{BASE}/sitemap.xml", callback=spider.parse_sitemap)
    made = drive(spider, first, lambda url: endless_index(url, children=3))
    depths = sorted(r.cb_kwargs["depth"] for r in made)
    assert depths == [1] * 3 + [2] * 9  # the top index's 3 children and theirs; no index of depth 3
    assert spider.crawler.stats.get_value("corpus/sitemap/too_deep") == 27  # the 3 children of each of those 9
    assert "nested deeper than CORPUS_SITEMAP_MAX_DEPTH=2" in caplog.text


def test_newest_child_sitemaps_are_read_first_when_the_budget_is_short():
    spider = make_spider(mode="backfill", max_pages="2", sources="sitemap")
    months = "".join(f"<sitemap><loc>{BASE}/sitemap-2024-{m:02d}.xml</loc><lastmod>2024-{m:02d}-28</lastmod></sitemap>"
                     for m in range(1, 13))
    response = XmlResponse(url=f"{BASE}/sitemap.xml", body=f"<sitemapindex>{months}</sitemapindex>".encode())
    urls = [r.url for r in spider.parse_sitemap(response)]
    assert urls == [f"{BASE}/sitemap-2024-12.xml", f"{BASE}/sitemap-2024-11.xml"]


def test_a_feed_with_100000_items_is_capped_with_a_warning(caplog):
    spider = make_spider()
    caplog.set_level(logging.WARNING)
    items = "".join(f"<item><link>{BASE}/aussenpolitik/bericht-{n}</link></item>" for n in range(100_000))
    response = XmlResponse(url=f"{BASE}/rss.xml", body=f"<rss><channel>{items}</channel></rss>".encode())
    requests = list(spider.parse_feed(response))
    assert len(requests) == 1000  # CORPUS_MAX_LINKS_PER_PAGE
    assert requests[0].url.endswith("/bericht-0")  # the feed's order: newest first
    assert spider.crawler.stats.get_value("corpus/links/capped") == 99_000
    assert f"feed {BASE}/rss.xml lists 100000 article links; following the first 1000 " \
           "(CORPUS_MAX_LINKS_PER_PAGE), 99000 left out" in caplog.text


def test_a_listing_page_and_a_sitemap_are_capped_by_their_settings(caplog):
    spider = make_spider(mode="backfill", _settings={"CORPUS_MAX_LINKS_PER_PAGE": 50,
                                                      "CORPUS_MAX_SITEMAP_LINKS": 300})
    links = "".join(f'<a href="/aussenpolitik/bericht-{n}">{n}</a>' for n in range(5000))
    listing = HtmlResponse(url=f"{BASE}/aussenpolitik", body=f"<html><body>{links}</body></html>".encode(),
                           encoding="utf-8")
    articles = [r for r in spider.parse_listing(listing, page_no=0) if r.callback == spider.parse_article]
    assert len(articles) == 50
    urls = "".join(f"<url><loc>{BASE}/aussenpolitik/bericht-{n}</loc></url>" for n in range(5000))
    sitemap = XmlResponse(url=f"{BASE}/sitemap-1.xml", body=f"<urlset>{urls}</urlset>".encode())
    assert len(list(spider.parse_sitemap(sitemap))) == 300
    assert spider.crawler.stats.get_value("corpus/links/capped") == 4950 + 4700
    assert "CORPUS_MAX_SITEMAP_LINKS" in caplog.text
