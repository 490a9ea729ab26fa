"""Süddeutsche Zeitung (sueddeutsche.de).

Recent: the RSS feed of Politik. Backfill: the topic pages (``/thema/Nordkorea`` …).
Articles end in ``-1.<number>``. Reader comments are not rendered in the article
HTML: none are collected.
"""

from __future__ import annotations

import re

from corpus.spider import OutletSpider


class SzSpider(OutletSpider):
    name = "sz"
    outlet_name = "Süddeutsche Zeitung"
    base_url = "https://www.sueddeutsche.de"
    feeds = ("https://rss.sueddeutsche.de/rss/Politik",)
    topics = ("/thema/Nordkorea", "/thema/Südkorea", "/thema/China", "/thema/Russland")
    # ...-1.<number>; agency copy ends in its dpa URN (...-dpa.urn-newsml-dpa-com-<date>-<id>): crawled too
    article_path = re.compile(r"^/[a-z0-9/-]+-(?:1\.\d{5,}|dpa\.urn-newsml-dpa-com-[0-9-]+)$")
    deny = {r"^/(?:thema|autoren)(?:/|$)": "topic and author pages", r"^/(?:abo|service)(?:/|$)":
            "subscription and service pages"}
