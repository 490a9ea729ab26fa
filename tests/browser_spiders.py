"""Spiders for the JavaScript fixture site (tests/fixtures/jssite): the same outlet with and without a browser.

Run with ``-s SPIDER_MODULES=tests.browser_spiders`` (tests/test_browser.py does).
"""

from __future__ import annotations

import re

from corpus.spider import OutletSpider
from spiders.cicero import CiceroParser


class JsSiteSpider(OutletSpider):
    name = "jssite"
    outlet_name = "JS-Beispiel"
    base_url = "https://www.js-beispiel.de"
    sections = ("/listing", "/consent-listing")
    article_path = re.compile(r"^/artikel/[a-z0-9-]+$")
    parser = CiceroParser  # its comments use the same (Drupal) markup
    browser = True
    consent_click = "#consent-accept"


class JsSitePlainSpider(JsSiteSpider):
    name = "jssite-plain"
    browser = False
