"""The spider of bench/browser_memory.py: a generated site rendered in the browser (not an outlet)."""

from __future__ import annotations

import re

from corpus.spider import OutletSpider
from spiders.cicero import CiceroParser


class BenchBrowserSpider(OutletSpider):
    name = "bench-browser"
    outlet_name = "Benchmark"
    base_url = "https://bench.invalid"
    sections = ("/list/1",)
    article_path = re.compile(r"^/a/\d+$")
    parser = CiceroParser  # the generated comments use its markup
    browser = True
