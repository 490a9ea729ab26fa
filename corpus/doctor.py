"""``corpus doctor OUTLET``: one screen for the person on duty when an outlet is degraded.

For a feed (or news sitemap): every link it lists, and what the spider does with it: fetched
(in the outlet's article shape, or only because the outlet's own list names it), or left out and
why. For an article page: whether the page is an article and why, then every field with its
value and the extraction layer that gave it, and the fields the crawl's health measures. Feeds
and pages are files (saved pages, gzipped or not) or URLs; without ``--feed`` and ``--page`` the
outlet's own feeds and news sitemaps are fetched.
"""

from __future__ import annotations

import argparse
import gzip
import urllib.request
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urljoin, urlsplit

from scrapy.http import XmlResponse

from corpus import discovery
from corpus.build import read_article
from corpus.extract import Page
from corpus.extract.page import page_text
from corpus.pagekind import MIN_WORDS, page_kind, path_shape
from corpus.sitemaps import parse_sitemap

MAX_BYTES = 10 * 1024 * 1024
FIELDS = (("title", "title"), ("kicker", "kicker"), ("teaser", "teaser"), ("authors", "authors"),
          ("byline_raw", "authors"), ("published_raw", "published"), ("modified_raw", "modified"),
          ("section", "section"), ("keywords", "keywords"), ("image", "image"), ("paywalled", "paywalled"),
          ("language", "language"), ("body", "body"))


def add_parser(sub: Any) -> None:
    doctor = sub.add_parser(
        "doctor", help="what a spider does with a feed's links and a page's fields: corpus doctor taz",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    doctor.add_argument("outlet", help="the spider's name (corpus list)")
    doctor.add_argument("--feed", action="append", default=[], metavar="FILE|URL",
                        help="a feed or news sitemap (repeatable; default: the outlet's own)")
    doctor.add_argument("--page", action="append", default=[], metavar="FILE|URL", help="an article page (repeatable)")
    doctor.add_argument("--url", help="the URL a saved file was fetched from (default for feeds: the outlet's site)")
    doctor.set_defaults(handler=lambda args, io: run(args, io.stdout))


def spider_class(name: str) -> Any:
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    loader = SpiderLoader.from_settings(get_project_settings())
    if name not in loader.list():
        raise ValueError(f"no spider {name!r}; the spiders are: {', '.join(sorted(loader.list()))}")
    return loader.load(name)


def fetch(source: str) -> tuple[str, bytes]:
    """(URL, body) of a URL or a saved file (gzipped or not); files stand for ``source`` itself."""
    if source.startswith(("http://", "https://")):
        from corpus.config import default

        request = urllib.request.Request(source, headers={"User-Agent": default("USER_AGENT")})
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (http(s) only, checked above)
            return answer.geturl(), answer.read(MAX_BYTES)
    body = Path(source).read_bytes()[: MAX_BYTES * 2]
    return source, gzip.decompress(body)[:MAX_BYTES] if body[:2] == b"\x1f\x8b" else body[:MAX_BYTES]


def run(args: argparse.Namespace, out: TextIO) -> int:
    spider = spider_class(args.outlet)
    domain = (urlsplit(spider.base_url).hostname or "").removeprefix("www.")
    urls = discovery.ArticleUrls(domain, spider.article_path, spider.deny)
    feeds = args.feed or ([] if args.page else [urljoin(spider.base_url + "/", f)
                                                 for f in (*spider.feeds, *spider.news_sitemaps)])
    for feed in feeds:
        show_feed(feed, args.url, spider, urls, out)
    for page in args.page:
        show_page(page, args.url, spider, urls, out)
    return 0


def show_feed(source: str, url: str | None, spider: Any, urls: discovery.ArticleUrls, out: TextIO) -> None:
    fetched_from, body = fetch(source)
    base = url or (fetched_from if fetched_from.startswith("http") else spider.base_url + "/")
    sitemap = parse_sitemap(body)
    if sitemap.kind == "urlset":
        links = [urljoin(base, entry.loc) for entry in sitemap.entries]
        kind = "news sitemap" if any(e.news_title or e.news_published for e in sitemap.entries) else "sitemap"
    elif sitemap.kind == "sitemapindex":
        out.write(f"sitemap index {source}: {len(sitemap.entries)} child sitemaps (give one with --feed)\n")
        for entry in sitemap.entries[:20]:
            out.write(f"  {entry.loc}  {entry.lastmod or ''}\n")
        return
    else:
        links = discovery.feed_links(XmlResponse(url=base, body=body))
        kind = "feed"
    listed = kind != "sitemap"
    out.write(f"{kind} {source}: {len(links)} links\n")
    fetched = shaped = 0
    for link in links:
        why = urls.why_not(link, listed=listed)
        if why is None:
            fetched += 1
            in_shape = urls(link)
            shaped += in_shape
            note = "in the outlet's article shape" if in_shape else \
                f"fetched because the {kind} lists it; not in the article shape ({path_shape(link)})"
            out.write(f"  fetch  {link}\n         {note}\n")
        else:
            out.write(f"  skip   {link}\n         {why}\n")
    out.write(f"  {fetched} of {len(links)} links fetched ({shaped} in the article shape), "
              f"{len(links) - fetched} left out\n\n")


def _value(value: Any) -> str:
    if value is None or value == [] or value == "":
        return "-"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items() if v)
    text = " ".join(str(value).split())
    return text if len(text) <= 100 else text[:97] + "..."


def show_page(source: str, url: str | None, spider: Any, urls: discovery.ArticleUrls, out: TextIO) -> None:
    fetched_from, body = fetch(source)
    page_url = url or (fetched_from if fetched_from.startswith("http") else None)
    if not page_url:
        raise ValueError(f"{source}: give --url, the URL the page was fetched from")
    text, problem = page_text(body, body.decode("utf-8", "replace"))
    if problem in ("empty", "binary"):
        out.write(f"page {page_url}: {problem}, nothing to read\n\n")
        return
    page = Page(page_url, text)
    read = read_article(page, spider.parser, outlet=spider.name, outlet_name=spider.outlet_name)
    article = read.article
    kind = page_kind(page, article.published_raw, article.body, urls(page_url))
    out.write(f"page {page_url}\n  article: {'yes' if kind.article else 'NO, not written'} ({kind.evidence})\n"
              f"  url: {urls.why_not(page_url) or 'in the outlet article shape'}\n")
    layers = read.extraction.layers
    for name, extracted in FIELDS:
        value = getattr(article, name)
        if name == "body":
            words = len((value or "").split())
            value = f"{words} words: {value or ''}"
        layer = layers.get(extracted, "") if name != "byline_raw" else ""
        out.write(f"  {name:<14} {layer:<9} {_value(value)}\n")
    words = len((article.body or "").split())
    measured = {"title": bool(article.title), "authors": bool(article.authors or article.byline_raw),
                "date": bool(article.published_raw), f"body {MIN_WORDS}+ words": words >= MIN_WORDS,
                "teaser": bool(article.teaser)}
    out.write("  health: " + ", ".join(f"{k} {'yes' if v else 'MISSING'}" for k, v in measured.items()) + "\n")
    if read.extraction.errors:
        out.write("  extraction errors: " + "; ".join(f"{k}: {v}" for k, v in read.extraction.errors.items()) + "\n")
    out.write(f"  comments on this page: {len(read.comments.comments())}"
              f"{'; next comment page: ' + str(read.comments.next_page()) if read.comments.next_page() else ''}\n\n")
