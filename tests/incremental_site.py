"""The Cicero fixture site as it changes between two crawls, for the incremental tests.

Before: the Korea article is from yesterday (inside the revisit window); the
others are from 2023/2024 (outside). After: the Korea article's text changed
and its second comment page has one new comment, and the feed links a new
article (without comments).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.mockserver import FIXTURES, FixtureServer

KOREA_PATH = "/aussenpolitik/suedkorea-china-seoul-peking-annaeherung"
NEW_PATH = "/aussenpolitik/nordkorea-russland-schienenverbindung-tumen"
RUSSIA_PATH = "/aussenpolitik/russland-china-gasleitung-kreml-peking"
NEW_COMMENT_ID = "571301"
_HTML = "text/html; charset=utf-8"


def _read(name: str) -> str:
    return (FIXTURES / "cicero" / name).read_text("utf-8")


def _serve(server: FixtureServer, path: str, text: str, ctype: str = _HTML) -> None:
    server.overrides[path] = (200, text.replace("https://www.cicero.de", server.base_url).encode(), ctype)


def before(server: FixtureServer) -> None:
    """The Korea article published yesterday."""
    yesterday = (datetime.now().astimezone() - timedelta(days=1)).replace(microsecond=0).isoformat()
    for name, path in (("article_korea_china.html", KOREA_PATH),
                       ("article_korea_china_page1.html", f"{KOREA_PATH}?page=1")):
        _serve(server, path, _read(name).replace("2024-02-14T09:30:00+01:00", yesterday))


def after(server: FixtureServer) -> None:
    """An edit, a new comment and a new article."""
    korea = server.overrides[KOREA_PATH][1].decode()
    server.overrides[KOREA_PATH] = (200, korea.replace("Nach Jahren der Verstimmung",
                                                       "Nach sieben Jahren der Verstimmung").encode(), _HTML)
    page1 = server.overrides[f"{KOREA_PATH}?page=1"][1].decode()
    new_comment = (
        f'<a id="comment-{NEW_COMMENT_ID}"></a><article class="comment js-comment" '
        f'data-comment-id="{NEW_COMMENT_ID}"><p class="comment__submitted"><span class="comment__author">'
        'Jonas Albrecht</span> | <span class="comment__date">Fr., 16. Februar 2024 - 07:12</span></p>'
        '<div class="field field-name-comment-body"><p>Seoul hat keine andere Wahl.</p></div></article>'
    )
    marker = '<div class="indented">'
    server.overrides[f"{KOREA_PATH}?page=1"] = (200, page1.replace(marker, new_comment + marker, 1).encode(), _HTML)
    new_article = _read("article_russia_china.html").replace(RUSSIA_PATH, NEW_PATH).replace(
        "Die Gasleitung, die Moskau an Peking bindet", "Eine Brücke zwischen Nordkorea und Russland")
    _serve(server, NEW_PATH, new_article)
    item = (f"<item><title>Eine Brücke zwischen Nordkorea und Russland</title>"
            f"<link>https://www.cicero.de{NEW_PATH}</link><pubDate>Fri, 16 Feb 2024 10:00:00 +0100</pubDate></item>")
    _serve(server, "/rss.xml", _read("rss.xml").replace("<item>", item + "<item>", 1), "application/xml")
