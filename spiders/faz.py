"""Frankfurter Allgemeine (faz.net).

Recent: the RSS feeds of Politik/Ausland. Backfill: the topic pages
(``/aktuell/politik/thema/nordkorea`` …; this path is not confirmed from here, the
spider warns when it yields no article links). Articles end in ``-<number>.html``.
Reader comments sit behind a login-only service: none are collected.
"""

from __future__ import annotations

import re

from corpus.spider import OutletSpider


class FazSpider(OutletSpider):
    name = "faz"
    outlet_name = "Frankfurter Allgemeine"
    base_url = "https://www.faz.net"
    feeds = ("/rss/aktuell/politik/ausland/", "/rss/aktuell/politik/")
    topics = ("/aktuell/politik/thema/nordkorea", "/aktuell/politik/thema/suedkorea",
              "/aktuell/politik/thema/china", "/aktuell/politik/thema/russland")
    article_path = re.compile(r"^/(?:aktuell|pro)/[a-z0-9/-]+-\d{6,}\.html$")
    deny = {r"^/aktuell/politik/thema(?:/|$)": "topic pages", r"^/(?:podcasts|multimedia)(?:/|$)": "audio and video",
            r"^/(?:asv|e-paper)(?:/|$)": "the e-paper and its archive",
            r"^/(?:faz-net-services|ueber-uns)/": "services and company pages",
            r"^/[^/]*(?:impressum|nutzungsbedingungen|cookie-einwilligung)[^/]*$": "legal and consent pages"}
