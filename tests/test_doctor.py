"""corpus doctor: what a spider does with each link of a feed, and each field of a page (files and URLs)."""

from __future__ import annotations

import functools
import gzip
import io
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from corpus.cli import main

EVAL = Path(__file__).parents[2] / "shared" / "eval" / "dev"
FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>taz</title><link>https://taz.de/</link>
<item><link>https://taz.de/Nordkorea-testet-Rakete/!5912345/</link></item>
<item><link>https://taz.de/Neues-Schema/a-77123456</link></item>
<item><link>https://taz.de/Politik/Asien/!p4616/</link></item>
<item><link>https://taz.de/bilder/karte.pdf</link></item>
</channel></rss>"""


def doctor(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["doctor", *argv], stdout=out), out.getvalue()


def test_every_feed_link_with_what_the_spider_does_and_why(tmp_path):
    (tmp_path / "feed.xml").write_text(FEED)
    code, text = doctor("taz", "--feed", str(tmp_path / "feed.xml"))
    assert code == 0
    assert "feed " + str(tmp_path / "feed.xml") + ": 4 links" in text
    assert "fetch  https://taz.de/Nordkorea-testet-Rakete/!5912345/\n         in the outlet's article shape" in text
    assert ("fetch  https://taz.de/Neues-Schema/a-77123456\n         fetched because the feed lists it; not in the "
            "article shape (/Neues-Schema/a-N)") in text
    assert "skip   https://taz.de/Politik/Asien/!p4616/\n         deny: section pages (!p<id>)" in text
    assert "skip   https://taz.de/bilder/karte.pdf\n         a file" in text
    assert "2 of 4 links fetched (1 in the article shape), 2 left out" in text


@pytest.mark.skipif(not (EVAL / "Taz_2023_04_28.html.gz").exists(), reason="../shared/eval is not present")
def test_every_field_of_a_saved_page_with_its_layer():
    code, text = doctor("taz", "--page", str(EVAL / "Taz_2023_04_28.html.gz"),
                        "--url", "https://taz.de/Entwurf-des-Selbstbestimmungsgesetzes/!5928990/")
    assert code == 0
    assert "article: yes (og:type article)" in text
    assert "  title          meta      Entwurf des Selbstbestimmungsgesetzes: Ein bisschen Fortschritt\n" in text
    assert "  authors        meta      Nicole Opitz\n" in text
    assert "  kicker         missing   -\n" in text
    assert "health: title yes, authors yes, date yes, body 80+ words yes, teaser yes" in text


def test_feeds_and_pages_by_url(tmp_path):
    """Fetched over HTTP (a local server): a page that is no article says so."""
    shutil.copy(Path(__file__).parent / "fixtures" / "taz" / "topic.html", tmp_path / "topic.html")
    (tmp_path / "feed.xml").write_text(FEED)
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        code, text = doctor("taz", "--feed", f"{base}/feed.xml", "--page", f"{base}/topic.html")
    finally:
        server.shutdown()
        server.server_close()
    assert code == 0
    assert f"feed {base}/feed.xml: 4 links" in text
    assert f"page {base}/topic.html\n  article: NO, not written (no article markup, undated," in text
    assert "health: title yes" in text


def test_clear_errors(tmp_path, capsys):
    assert doctor("no-such-outlet")[0] == 2
    assert "no spider 'no-such-outlet'; the spiders are: cicero, dw" in capsys.readouterr().err
    (tmp_path / "page.html.gz").write_bytes(gzip.compress(b"<html><body><p>x</p></body></html>"))
    assert doctor("taz", "--page", str(tmp_path / "page.html.gz"))[0] == 2
    assert "give --url, the URL the page was fetched from" in capsys.readouterr().err
    assert doctor("taz", "--feed", str(tmp_path / "missing.xml"))[0] == 2
    assert "missing.xml" in capsys.readouterr().err
