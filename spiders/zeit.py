"""DIE ZEIT / ZEIT ONLINE (zeit.de).

Recent: the Ausland news feed and the Google news sitemap index. Backfill: the
topic pages (``/thema/nordkorea`` …, paginated with ``?p=2``). Articles live at
``/<ressort>[/<sub>]/<YYYY-MM>/<slug>``. Reader comments are rendered into the
page but only partly and are paginated through a separate service; they are
not collected yet.
"""

from __future__ import annotations

import re

from corpus.extract import OutletParser
from corpus.spider import OutletSpider


class ZeitParser(OutletParser):
    KICKER = ".article-heading__kicker"


class ZeitSpider(OutletSpider):
    name = "zeit"
    outlet_name = "ZEIT ONLINE"
    base_url = "https://www.zeit.de"
    feeds = ("https://newsfeed.zeit.de/politik/ausland/index",)
    news_sitemaps = ("/gsitemaps/index.xml",)
    topics = ("/thema/nordkorea", "/thema/suedkorea", "/thema/china", "/thema/russland")
    article_path = re.compile(r"^/[a-z-]+(?:/[a-z-]+)?/\d{4}-\d{2}/[a-z0-9-]+(?:/(?:komplettansicht|seite-\d+))?$")
    deny_path = re.compile(r"^/(?:zett|angebote|thema|video|autoren|campus/angebote)(?:/|$)")
    parser = ZeitParser
