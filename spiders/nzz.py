"""Neue Zürcher Zeitung (nzz.ch).

Recent: the International RSS feed. Backfill: the topic pages (``/themen/nordkorea`` …).
Articles end in ``-ld.<number>``. Reader comments load through a third-party service:
none are collected.
"""

from __future__ import annotations

import re

from corpus.spider import OutletSpider


class NzzSpider(OutletSpider):
    name = "nzz"
    outlet_name = "Neue Zürcher Zeitung"
    base_url = "https://www.nzz.ch"
    feeds = ("/international.rss",)
    topics = ("/themen/nordkorea", "/themen/suedkorea", "/themen/china", "/themen/russland")
    article_path = re.compile(r"^/[a-z0-9/-]+-ld\.\d+$")
    deny = {r"^/themen(?:/|$)": "topic pages", r"^/(?:impressum|abo)(?:/|$)": "legal and subscription pages"}
