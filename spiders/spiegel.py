"""DER SPIEGEL (spiegel.de).

Recent: the Ausland RSS feed and the news sitemap. Backfill: the topic pages
(``/thema/nordkorea/`` …, paginated as ``/thema/nordkorea/p2/``). Article URLs
end in ``-a-<uuid>`` (older ones ``-a-<number>.html``). Spiegel renders no
reader comments in the page (they come from a separate service): none are collected.
The news sitemap path is not confirmed from here; the spider warns when it yields nothing.
"""

from __future__ import annotations

import re

from corpus.extract import OutletParser
from corpus.spider import OutletSpider


class SpiegelParser(OutletParser):
    # The kicker is the headline's first line: <h2><span class="… text-primary-base …">Kicker</span>
    # <span class="… leading-tight">Headline</span></h2> (class names seen on current pages; falls back
    # when absent). Not ".leading-tight": that is the headline itself.
    KICKER = "h2 > span.text-primary-base, h1 span.text-primary-base"


class SpiegelSpider(OutletSpider):
    name = "spiegel"
    outlet_name = "DER SPIEGEL"
    base_url = "https://www.spiegel.de"
    feeds = ("/ausland/index.rss", "/politik/index.rss")
    news_sitemaps = ("/sitemaps/news-de.xml",)
    topics = ("/thema/nordkorea/", "/thema/suedkorea/", "/thema/china/", "/thema/russland/")
    article_path = re.compile(
        r"^/[a-z0-9-]+(?:/[a-z0-9-]+)?/[a-z0-9-]+-a-(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
        r"|\d+\.html)$"
    )
    deny = {r"^/(?:video|fotostrecke|audio)(?:/|$)": "videos, galleries and audio", r"^/thema(?:/|$)": "topic pages",
            r"^/(?:impressum|abo|services|consent)(?:/|$)": "legal, subscription and service pages"}
    parser = SpiegelParser
