"""taz (taz.de).

Recent: the taz RSS feed. Backfill: taz topic pages carry ids (``/<Name>/!t<id>/``) that
could not be confirmed from here: pass them with ``-a listings=...``; the Ausland/Asien
section is paged instead. Articles live at ``/<Slug>/!<number>/``. Reader comments are
rendered in the page's community block (``.sect_commentlinks``, replies nested in ``.thread``),
all on one page.
"""

from __future__ import annotations

import re

from corpus.extract import OutletParser
from corpus.spider import OutletSpider


class TazParser(OutletParser):
    COMMENT = ".sect_commentlinks > .sectbody > li, .sect_commentlinks .thread > li"
    COMMENT_AUTHOR = ".author h4, .author"
    COMMENT_DATE = ".date, time"


class TazSpider(OutletSpider):
    name = "taz"
    outlet_name = "taz"
    base_url = "https://taz.de"
    feeds = ("/!p4608;rss/",)
    sections = ("/Politik/Asien/!p4616/", "/Politik/Europa/!p4615/")
    article_path = re.compile(r"^/[^/]+/!\d+$")
    deny = {r"/!p\d+$": "section pages (!p<id>)", r"/!t\d+$": "topic pages (!t<id>)"}
    parser = TazParser
