"""WELT (welt.de).

Recent: the Ausland RSS feed and the news sitemap. Backfill: the topic pages
(``/themen/nordkorea/`` …). Articles live at ``/<ressort>/…/article<number>/<Slug>.html``.
Reader comments load through a third-party widget: none are collected.
"""

from __future__ import annotations

import re

from corpus.spider import OutletSpider


class WeltSpider(OutletSpider):
    name = "welt"
    outlet_name = "WELT"
    base_url = "https://www.welt.de"
    feeds = ("/feeds/section/politik/ausland.rss", "/feeds/section/politik.rss")
    news_sitemaps = ("/sitemaps/newssitemap/newssitemap.xml",)
    topics = ("/themen/nordkorea/", "/themen/suedkorea/", "/themen/china/", "/themen/russland/")
    # agency copy (/newsticker/dpa_nt/...) is crawled: wire copy is coverage too
    article_path = re.compile(r"^/[a-z0-9/_-]+/(?:article|plus)\d+/[A-Za-z0-9-]+\.html$")
    deny = {r"^/themen(?:/|$)": "topic pages", r"^/(?:mediathek|podcasts)(?:/|$)": "videos and podcasts",
            r"^/impressum(?:/|$)": "legal pages", r"^/Advertorials/": "advertorials (paid content)"}
