"""DIE ZEIT / ZEIT ONLINE (zeit.de).

Recent: the Ausland news feed and the Google news sitemap index. Backfill: the
topic pages (``/thema/nordkorea`` …, paginated with ``?p=2``). Articles live at
``/<ressort>[/<sub>]/<YYYY-MM>/<slug>``. Reader comments are rendered into the
page (``#comments article.comment``, paged with ``?page=N``); replies are shown
indented, not nested, so their parent is not recorded.
"""

from __future__ import annotations

import re

from corpus.extract import OutletParser
from corpus.spider import OutletSpider


class ZeitParser(OutletParser):
    KICKER = ".article-heading__kicker"
    COMMENT = "#comments article.comment"
    COMMENT_AUTHOR = ".comment-meta__name"
    COMMENT_DATE = ".comment-meta__date"
    COMMENT_TEXT = ".comment__body p"
    COMMENT_NEXT = "#comments .pager__button--next, #comments a[rel=next]"


class ZeitSpider(OutletSpider):
    name = "zeit"
    outlet_name = "ZEIT ONLINE"
    base_url = "https://www.zeit.de"
    feeds = ("https://newsfeed.zeit.de/politik/ausland/index",)
    news_sitemaps = ("/gsitemaps/index.xml",)
    topics = ("/thema/nordkorea", "/thema/suedkorea", "/thema/china", "/thema/russland")
    # /<ressort>[/<sub>]/<YYYY-MM>/<slug>; agency news (/news/<YYYY-MM>/<DD>/<slug>) are crawled too
    article_path = re.compile(r"^/[a-z-]+(?:/[a-z-]+)?/\d{4}-\d{2}/(?:\d{2}/)?[a-z0-9-]+"
                              r"(?:/(?:komplettansicht|seite-\d+))?$")
    deny = {r"^/(?:thema|autoren)(?:/|$)": "topic and author pages", r"^/video(?:/|$)": "videos",
            r"^/(?:zett|angebote|campus/angebote)(?:/|$)": "offers and the former ze.tt section"}
    parser = ZeitParser
