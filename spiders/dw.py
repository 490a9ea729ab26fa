"""Deutsche Welle, German service (dw.com/de).

Recent: the German RSS feed (on rss.dw.com). Backfill: DW's topic pages carry numeric
ids that could not be confirmed from here (e.g. ``/de/nordkorea/t-<id>``): pass them
with ``-a listings=...``. Articles live at ``/de/<slug>/a-<number>``. No reader comments.
"""

from __future__ import annotations

import re

from corpus.extract import OutletParser
from corpus.spider import OutletSpider

_FIRST_PUBLISHED = re.compile(r'firstPublicationDate"?\s*:\s*"(\d{4})(\d{2})(\d{2})"')


class DwParser(OutletParser):
    # older pages list "Autorin/Autor <name>" in the article's fact box; JSON-LD names only "Deutsche Welle"
    AUTHOR_XPATH = '//li[strong[starts-with(normalize-space(), "Autor")]]/text()'
    ORDER = {"authors": ("selector", "jsonld", "meta")}

    def authors(self) -> list[str]:
        names = [n.strip() for n in self.page.sel.xpath(self.AUTHOR_XPATH).getall() if n.strip()]
        return list(dict.fromkeys(names))

    def published(self) -> str | None:
        """DW pages give the date in their page data (``firstPublicationDate: "20230428"``)."""
        match = _FIRST_PUBLISHED.search(self.page.html)
        return "-".join(match.groups()) if match else None


class DwSpider(OutletSpider):
    name = "dw"
    outlet_name = "Deutsche Welle"
    base_url = "https://www.dw.com"
    feeds = ("https://rss.dw.com/xml/rss-de-all",)
    sections = ("/de/themen/s-9077",)
    article_path = re.compile(r"^/de/[a-z0-9-]+/a-\d+$")
    deny = {r"^/(?!de/)[a-z]{2,3}(?:-[a-z]{2})?/": "DW's other language services (only /de/ is crawled)",
            r"^/overlay/": "picture and video viewers",
            r"^/de/(?:live-tv|mediathek)(?:/|$)": "live TV and the media library",
            r"^/de/[^/]+/(?:s|t)-\d+$": "topic and programme pages (s-, t-)",
            r"^/de/[^/]+/(?:g|av|video|audio|live)-\d+$": "galleries (g-), audio, video and live pages"}
    parser = DwParser
