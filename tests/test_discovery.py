"""Discovery without a crawler: the readers of corpus/discovery.py on documents in the real formats
(RSS 2.0, Atom, HTML listings, sitemaps and news sitemaps), and corpus/finder.py with a plain
stats collector and the real incremental state."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from typing import Any

from scrapy.http import HtmlResponse, TextResponse, XmlResponse
from scrapy.settings import Settings

from corpus import discovery
from corpus.config import CrawlSettings
from corpus.crawlargs import CrawlArgs
from corpus.extract import OutletParser, Page
from corpus.finder import LinkFinder, article_url
from corpus.normalize.urls import canonicalize_url, url_id
from corpus.sitemaps import parse_sitemap
from corpus.state import LocalState, SeenFilter

SITE = "https://www.example-zeitung.de"
ARTICLES = discovery.ArticleUrls("example-zeitung.de", re.compile(r"^/politik/\d{4}/[a-z0-9-]+$"),
                                 {r"^/politik/\d{4}/video-": "videos"})

RSS = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
<title>Politik</title><link>{SITE}/</link>
<item><title>Kim in Moskau</title><link> {SITE}/politik/2024/kim-in-moskau?utm_source=rss </link></item>
<item><title>Video</title><link>{SITE}/politik/2024/video-kim</link></item>
<item><title>Peking</title><link>/politik/2024/peking-antwortet</link></item>
</channel></rss>"""

ATOM = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Politik</title>
<entry><title>Seoul</title><link rel="alternate" href="{SITE}/politik/2024/seoul-waehlt"/></entry>
</feed>"""

LISTING = f"""<html><body>
<a href="/politik/2024/kim-in-moskau#comments">Kim</a>
<article><time datetime="2024-03-04T10:00:00+01:00">4. März 2024</time>
  <a href="/politik/2024/kim-in-moskau">Kim in Moskau</a></article>
<article><time datetime="2024-03-02T08:00:00+01:00">2. März 2024</time>
  <a href="{SITE}/politik/2024/peking-antwortet">Peking</a></article>
<a href="https://other.example/politik/2024/fremd">elsewhere</a>
<a rel="next" href="?page=2">weiter</a>
</body></html>"""

URLSET = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>{SITE}/politik/2024/kim-in-moskau</loc>
  <news:news><news:publication_date>2024-05-03T09:00:00+02:00</news:publication_date>
  <news:title>Kim in Moskau</news:title></news:news></url>
<url><loc>{SITE}/politik/2024/alt</loc><lastmod>2024-04-01</lastmod></url>
<url><loc>{SITE}/politik/2024/ohne-datum</loc></url>
<url><loc>{SITE}/impressum</loc><lastmod>2024-05-03</lastmod></url>
</urlset>"""

INDEX = f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>{SITE}/sitemap-2024-04.xml</loc><lastmod>2024-04-30</lastmod></sitemap>
<sitemap><loc>{SITE}/sitemap-2024-05.xml</loc><lastmod>2024-05-03</lastmod></sitemap>
<sitemap><loc>{SITE}/sitemap-2023-12.xml</loc><lastmod>2023-12-31</lastmod></sitemap>
<sitemap><loc>{SITE}/sitemap-misc.xml</loc></sitemap>
</sitemapindex>"""


class Parser(OutletParser):
    LISTING_DATE = "article time"


def xml(url: str, body: str) -> XmlResponse:
    return XmlResponse(url=url, body=body.encode("utf-8"))


def html(url: str, body: str) -> HtmlResponse:
    return HtmlResponse(url=url, body=body.encode("utf-8"), encoding="utf-8")


def test_article_urls_keep_the_site_s_article_pattern_only():
    assert ARTICLES(f"{SITE}/politik/2024/kim-in-moskau")
    assert ARTICLES("https://example-zeitung.de/politik/2024/kim-in-moskau/")  # without www., trailing slash
    assert not ARTICLES(f"{SITE}/politik/2024/video-kim")  # deny_path first
    assert not ARTICLES(f"{SITE}/politik/2024/karte.pdf")  # files never
    assert not ARTICLES("https://other.example/politik/2024/fremd")
    assert not ARTICLES("ftp://www.example-zeitung.de/politik/2024/kim-in-moskau")
    assert ARTICLES.on_site("https://rss.example-zeitung.de/feed") and not ARTICLES.on_site("https://x.de/")


def test_feed_links_of_rss_and_atom_in_feed_order():
    assert discovery.feed_links(xml(f"{SITE}/politik/rss", RSS)) == [  # the items, not the channel's link
        f"{SITE}/politik/2024/kim-in-moskau?utm_source=rss", f"{SITE}/politik/2024/video-kim",
        f"{SITE}/politik/2024/peking-antwortet"]
    assert discovery.feed_links(xml(f"{SITE}/politik/atom", ATOM)) == [f"{SITE}/politik/2024/seoul-waehlt"]


def test_page_links_are_absolute_once_each_without_fragment():
    links = discovery.page_links(html(f"{SITE}/politik/", LISTING))
    assert links == [f"{SITE}/politik/2024/kim-in-moskau", f"{SITE}/politik/2024/peking-antwortet",
                     "https://other.example/politik/2024/fremd", f"{SITE}/politik/?page=2"]


def test_a_listing_gives_its_newest_teaser_date_and_its_next_page():
    listing = discovery.read_listing(Page(f"{SITE}/politik/", LISTING), Parser)
    assert listing == discovery.Listing(date(2024, 3, 4), f"{SITE}/politik/?page=2")
    assert discovery.listing_stop(listing, 0, 50, None) is None
    assert discovery.listing_stop(listing, 0, 50, date(2024, 3, 5)) == "since"  # all teasers older
    assert discovery.listing_stop(listing, 0, 50, date(2024, 3, 3)) is None
    assert discovery.listing_stop(listing, 49, 50, None) == "max_pages"
    last = discovery.Listing(date(2024, 3, 4), None)
    assert discovery.listing_stop(last, 0, 50, None) == "no next page"


def test_older_than_reads_the_printed_date_and_keeps_what_it_cannot_read():
    since = date(2024, 3, 1)
    assert discovery.older_than("Do., 29. Februar 2024 - 23:10", since)
    assert not discovery.older_than("1. März 2024", since)
    assert not discovery.older_than(None, since) and not discovery.older_than("kein Datum", since)
    assert not discovery.older_than("29.02.2024", None)


def test_cap_keeps_the_first_links_and_counts_the_rest():
    assert discovery.cap(["a", "b", "c"], 2) == (["a", "b"], 1)
    assert discovery.cap(["a", "b"], 0) == (["a", "b"], 0)


def test_sitemap_links_in_the_window_with_news_fields():
    found = discovery.sitemap_links(parse_sitemap(URLSET.encode()), SITE, date(2024, 5, 1), ARTICLES)
    assert found.older == 1  # /alt, April
    assert found.links == {
        f"{SITE}/politik/2024/kim-in-moskau": {"sitemap_published": "2024-05-03T09:00:00+02:00",
                                               "sitemap_title": "Kim in Moskau"},
        f"{SITE}/politik/2024/ohne-datum": {"sitemap_published": None, "sitemap_title": None},
    }  # undated kept; /impressum is no article


def test_one_sitemap_budget_per_crawl_newest_children_first():
    index = parse_sitemap(INDEX.encode())
    budget = discovery.SitemapBudget(max_files=2, max_depth=2)
    first = budget.children(index, SITE, 0, date(2024, 1, 1))
    assert first.take == [f"{SITE}/sitemap-2024-05.xml", f"{SITE}/sitemap-2024-04.xml"]
    assert first.over_budget == 1  # the undated child; December is outside the window
    assert budget.children(index, SITE, 0, date(2024, 1, 1)).take == []  # the budget is spent
    deep = discovery.SitemapBudget(max_files=10, max_depth=1).children(index, SITE, 1, None)
    assert deep.take == [] and deep.too_deep == 4


class Stats(Counter):
    """A stats collector without a crawler."""

    def inc_value(self, key: str, count: int = 1) -> None:
        self[key] += count


def finder(tmp_path, seen: SeenFilter | None = None, **args: Any) -> tuple[LinkFinder, Stats]:
    stats = Stats()
    config = CrawlSettings.from_settings(Settings())  # the defaults of corpus/settings.py
    return LinkFinder(name="example", args=CrawlArgs(**args), config=config, stats=stats, parser=Parser,
                      urls=ARTICLES, rebase=lambda u: u, unbase=lambda u: u,
                      today=lambda: date(2024, 5, 3), seen=lambda: seen), stats


def test_the_finder_counts_what_a_feed_lists_and_leaves_out(tmp_path):
    found, stats = finder(tmp_path)
    links = found.feed(xml(f"{SITE}/politik/rss", RSS))
    # the tracking query is dropped from the request URL; the video is no article; the feed travels along
    feed = {"corpus_source": f"{SITE}/politik/rss"}
    assert links == [(f"{SITE}/politik/2024/kim-in-moskau", feed), (f"{SITE}/politik/2024/peking-antwortet", feed)]
    assert stats == {"corpus/pages/feed": 1, "corpus/links/not_article": 1}
    assert found.health.sources[f"{SITE}/politik/rss"] == {
        "url": f"{SITE}/politik/rss", "kind": "feed", "listed": 3, "candidates": 2, "fetched": 0, "articles": 0,
        "not_articles": 0}
    assert found.feed(TextResponse(url=f"{SITE}/bild.png", body=b"x", encoding="utf-8")) == []
    not_text = found.feed(type("Binary", (), {"url": f"{SITE}/feed.gz"})())
    assert not_text == [] and stats["corpus/errors/feed_not_text"] == 1


def test_the_finder_pages_a_listing_back_until_since(tmp_path):
    found, stats = finder(tmp_path, mode="backfill", since="2024-03-03")
    links, next_url = found.listing(html(f"{SITE}/politik/", LISTING), page_no=0)
    assert [url for url, _ in links] == [f"{SITE}/politik/2024/kim-in-moskau", f"{SITE}/politik/2024/peking-antwortet"]
    assert next_url == f"{SITE}/politik/?page=2"  # the newest teaser (4 March) is not older than since
    found, stats = finder(tmp_path, mode="backfill", since="2024-03-05")
    assert found.listing(html(f"{SITE}/politik/", LISTING), page_no=0)[1] is None
    assert stats["corpus/listing/stopped_since"] == 1
    empty, stats = finder(tmp_path)
    assert empty.listing(html(f"{SITE}/politik/", "<html><body><p>leer</p></body></html>"), None) == ([], None)
    assert stats["corpus/listing/empty"] == 1


def test_the_finder_reads_an_index_then_its_children_within_the_days_window(tmp_path):
    found, stats = finder(tmp_path, days=2)  # today is 3 May: from 1 May on
    children, links = found.sitemap(xml(f"{SITE}/sitemap.xml", INDEX), depth=0)
    assert children == [f"{SITE}/sitemap-2024-05.xml", f"{SITE}/sitemap-misc.xml"] and links == []
    children, links = found.sitemap(xml(children[0], URLSET), depth=1)
    assert children == [] and [url for url, _ in links] == [f"{SITE}/politik/2024/kim-in-moskau",
                                                             f"{SITE}/politik/2024/ohne-datum"]
    assert links[0][1]["sitemap_title"] == "Kim in Moskau"
    assert stats["corpus/sitemap/older_than_window"] == 1  # /alt, April
    assert found.sitemap(xml(f"{SITE}/sitemap.xml", "<html><body>Fehler</body></html>"), 0) == ([], [])
    assert stats["corpus/errors/sitemap_invalid"] == 1


def test_the_finder_asks_the_incremental_state_once_per_page(tmp_path):
    state = LocalState(tmp_path / "state.sqlite")
    known = f"{SITE}/politik/2024/kim-in-moskau"
    state.record_article({"id": url_id(canonicalize_url(known)), "url": known, "content_hash": "h",
                          "published_at": "2020-01-01T00:00:00+01:00", "crawled_at": "2024-05-01T00:00:00+02:00"})
    found, stats = finder(tmp_path, seen=SeenFilter(3, local=state))
    links = found.feed(xml(f"{SITE}/politik/rss", RSS))
    assert [url for url, _ in links] == [f"{SITE}/politik/2024/peking-antwortet"]  # the known, old one is not fetched
    state.close()


NEW_SCHEME = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Politik</title><link>{SITE}/</link>
<item><link>{SITE}/politik/kim-in-moskau-id24875512.html</link></item>
<item><link>{SITE}/politik/putin-%C3%A4ra/a-68117411</link></item>
<item><link>{SITE}/politik/2024/video-kim</link></item>
<item><link>{SITE}/</link></item>
<item><link>https://cdn.example-zeitung.de/politik/2024/bild.jpg</link></item>
</channel></rss>"""


def test_a_feed_that_switches_to_a_new_url_scheme_still_yields_its_articles(tmp_path):
    """The outlet's own feed is trusted: links in a shape article_path does not know are still fetched
    (the page decides, corpus/pagekind.py); only other sites, files, the home page and deny are left out."""
    found, stats = finder(tmp_path)
    links = [url for url, _ in found.feed(xml(f"{SITE}/politik/rss", NEW_SCHEME))]
    assert links == [f"{SITE}/politik/kim-in-moskau-id24875512.html", f"{SITE}/politik/putin-%C3%A4ra/a-68117411"]
    assert not ARTICLES(links[0]) and not ARTICLES(links[1])  # a listing with them would not follow them
    assert ARTICLES.why_not(f"{SITE}/politik/2024/video-kim", listed=True) == "deny: videos"
    assert ARTICLES.why_not(f"{SITE}/", listed=True) == "the home page"
    assert ARTICLES.why_not("https://cdn.example-zeitung.de/x/bild.jpg", listed=True) == "another site"
    assert ARTICLES.why_not(f"{SITE}/politik/2024/bild.jpg", listed=True) == "a file"


def test_url_patterns_see_one_form_of_the_path():
    """Raw umlauts, escapes in either case and the folded form: one decision."""
    pattern = discovery.ArticleUrls("example-zeitung.de", re.compile(r"^/de/[a-z0-9-]+/a-\d+$"))
    for url in (f"{SITE}/de/putin-ära/a-68117411", f"{SITE}/de/putin-%C3%A4ra/a-68117411",
                f"{SITE}/de/putin-%c3%a4ra/a-68117411/", f"{SITE}/de/stra%C3%9Fe-nach-peking/a-1?utm_source=x"):
        assert pattern(url), url
    assert not pattern(f"{SITE}/de/putin-ära/s-68117411")


def test_article_url_drops_query_and_fragment():
    assert article_url(f"{SITE}/politik/2024/kim?page=1#comments") == f"{SITE}/politik/2024/kim"


def test_a_malformed_url_in_a_sitemap_is_no_candidate_and_no_crash():
    from corpus.discovery import ArticleUrls

    urls = ArticleUrls("example.org", re.compile(r"^/a/[\w-]+$"))
    assert urls.why_not("http://example.org:8080:8080/a/story") == "a malformed URL"
    assert urls("https://example.org/a/story")
