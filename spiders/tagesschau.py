"""tagesschau.de (ARD).

Recent: the RSS feeds of Ausland and Asien. Backfill: the topic pages
(``/thema/nordkorea`` …). Articles end in ``-<number>.html``. No reader
comments on article pages (the old comment boards were separate): none are collected.
"""

from __future__ import annotations

import re

from corpus.extract import OutletParser
from corpus.spider import OutletSpider


class TagesschauParser(OutletParser):
    KICKER = ".seitenkopf__topline"
    TITLE = ".seitenkopf__headline--text"


class TagesschauSpider(OutletSpider):
    name = "tagesschau"
    outlet_name = "tagesschau.de"
    base_url = "https://www.tagesschau.de"
    feeds = ("/ausland/index~rss2.xml", "/ausland/asien/index~rss2.xml")
    topics = ("/thema/nordkorea", "/thema/suedkorea", "/thema/china", "/thema/russland")
    article_path = re.compile(r"^/(?:ausland|inland|wirtschaft|investigativ|faktenfinder)/(?:[a-z0-9-]+/)*"
                              r"[a-z0-9-]+-\d+\.html$")
    deny = {r"^/(?:multimedia|sendung)(?:/|$)": "videos and programmes", r"^/(?:thema|archiv)(?:/|$)":
            "topic pages and the archive", r"^/impressum(?:/|$)": "legal pages"}
    parser = TagesschauParser
