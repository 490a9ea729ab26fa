"""stern (stern.de).

Recent: the Politik RSS feed (``/feed/standard/…``). Backfill: stern's topic pages carry ids
(``/politik/ausland/themen/<name>-<id>.html``) that could not be confirmed from here for the four
countries: pass them with ``-a listings=...``; the Ausland section is paged instead. Articles live
at ``/<ressort>/…/<slug>-<number>.html``. stern shows no reader comments: none are collected.
"""

from __future__ import annotations

import re

from corpus.extract import OutletParser
from corpus.spider import OutletSpider


class SternParser(OutletParser):
    KICKER = ".article__title .title__kicker"
    TITLE = ".article__title .title__headline"
    ORDER = {"title": ("selector", "meta", "jsonld", "generic")}  # the breadcrumb title is an SEO variant


class SternSpider(OutletSpider):
    name = "stern"
    outlet_name = "stern"
    base_url = "https://www.stern.de"
    feeds = ("/feed/standard/politik/", "/feed/standard/alle-nachrichten/")
    sections = ("/politik/ausland/",)
    article_path = re.compile(r"^/[a-z0-9-]+(?:/[a-z0-9-]+)*/[a-z0-9-]+-\d{7,9}\.html$")
    deny = {r"^/(?:video|fotos)(?:/|$)": "videos and galleries", r"/themen/": "topic pages",
            r"^/(?:sonst|plus|archiv|gutscheine)(?:/|$)": "service, subscription and voucher pages",
            r"^/noch-fragen/": "readers' questions (a forum)",
            r"^/(?:impressum|user-diskussionen)[^/]*$": "legal pages and community rules"}
    parser = SternParser
