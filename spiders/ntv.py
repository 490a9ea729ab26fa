"""n-tv (n-tv.de).

Recent: the Politik RSS feed. Backfill: the topic pages (``/thema/nordkorea`` …; ``/thema/russland``
is linked from article pages, the others follow the same pattern and are not confirmed from here),
paged through their "next" link. Articles live at ``/<ressort>/…/<Slug>-article<number>.html``.
n-tv shows no reader comments: none are collected.
"""

from __future__ import annotations

import re

from corpus.extract import OutletParser
from corpus.spider import OutletSpider


class NtvParser(OutletParser):
    KICKER = ".article__header__titles .article__kicker"
    TITLE = ".article__header__titles .article__headline"
    ORDER = {"title": ("selector", "meta", "jsonld", "generic")}  # JSON-LD glues kicker and headline


class NtvSpider(OutletSpider):
    name = "ntv"
    outlet_name = "n-tv"
    base_url = "https://www.n-tv.de"
    feeds = ("/politik/rss", "/rss")
    topics = ("/thema/nordkorea", "/thema/suedkorea", "/thema/china", "/thema/russland")
    # ...-article<n>.html, and ...-id<n>.html since n-tv's new id scheme
    article_path = re.compile(r"^/[a-z0-9/-]+/[A-Za-z0-9-]+-(?:article|id)\d+\.html$")
    deny = {r"^/(?:mediathek|incoming)(?:/|$)": "videos and picture series", r"^/(?:autoren|thema)(?:/|$)":
            "author and topic pages", r"^/impressum(?:/|$)": "legal pages"}
    parser = NtvParser
