"""Der Tagesspiegel (tagesspiegel.de).

Recent: the Politik feed. Backfill: the topic pages (``/themen/nordkorea`` …; not confirmed
from here, the spider warns when one yields no article links). Articles end in
``-<number>.html``. Reader comments are a separate service: none are collected.
"""

from __future__ import annotations

import re

from corpus.spider import OutletSpider


class TagesspiegelSpider(OutletSpider):
    name = "tagesspiegel"
    outlet_name = "Der Tagesspiegel"
    base_url = "https://www.tagesspiegel.de"
    feeds = ("/contentexport/feed/politik",)
    topics = ("/themen/nordkorea", "/themen/suedkorea", "/themen/china", "/themen/russland")
    article_path = re.compile(r"^/[a-z0-9/-]+-\d{6,}\.html$")
    deny = {r"^/themen(?:/|$)": "topic pages", r"^/(?:impressum|abo|plus-angebote)(?:/|$)":
            "legal and subscription pages"}
