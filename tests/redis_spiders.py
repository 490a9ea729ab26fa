"""A spider for the generated site (tests/gensite.py); run with ``-s SPIDER_MODULES=tests.redis_spiders``."""

from __future__ import annotations

import re

from corpus.spider import OutletSpider
from spiders.cicero import CiceroParser


class GeneratedSiteSpider(OutletSpider):
    name = "gensite"
    outlet_name = "Generated"
    base_url = "https://generated.invalid"
    sections = ("/list/1",)
    article_path = re.compile(r"^/a/\d+$")


class GeneratedCommentsSpider(GeneratedSiteSpider):
    """The generated site with its comments read (they are in Cicero's markup)."""

    name = "gensite-comments"
    parser = CiceroParser


class GeneratedFeedSpider(GeneratedSiteSpider):
    """The generated site through its feed (mode=recent reads it; the article URL shape is ``/a/<n>``)."""

    name = "gensite-feed"
    feeds = ("/feed.xml",)
    sections = ()
