"""A spider for the generated site (tests/gensite.py); run with ``-s SPIDER_MODULES=tests.redis_spiders``."""

from __future__ import annotations

import re

from corpus.spider import OutletSpider


class GeneratedSiteSpider(OutletSpider):
    name = "gensite"
    outlet_name = "Generated"
    base_url = "https://generated.invalid"
    sections = ("/list/1",)
    article_path = re.compile(r"^/a/\d+$")
