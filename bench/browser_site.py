"""The spider of bench/browser_memory.py: the tests' generated site, rendered in the browser (not an outlet)."""

from __future__ import annotations

from spiders.cicero import CiceroParser
from tests.redis_spiders import GeneratedSiteSpider


class BenchBrowserSpider(GeneratedSiteSpider):
    name = "bench-browser"
    parser = CiceroParser  # the scripted comments use its markup
    browser = True
