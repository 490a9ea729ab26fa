"""Broken and hostile pages: each gives a clear log line and a stat, never a crash or a silent wrong value."""

from __future__ import annotations

import json
import logging

import pytest
from scrapy.http import HtmlResponse, Request

from spiders.cicero import CiceroSpider
from tests.conftest import FIXTURES, make_spider
from tests.pipelines import build_pipelines, run_pipelines

URL = "https://www.cicero.de/aussenpolitik/test-artikel"
SEED = (FIXTURES / "cicero" / "article_seed.html").read_bytes()
TEXT = b"<p>Nordkorea, Russland und China streiten um Raketen auf der koreanischen Halbinsel.</p>" * 10


def crawl_page(body: bytes, content_type: str = "text/html; charset=utf-8", **settings):
    spider = make_spider(CiceroSpider, _settings=settings)
    response = HtmlResponse(url=URL, body=body, headers={"Content-Type": content_type}, request=Request(URL))
    kept, dropped = run_pipelines(build_pipelines(spider.crawler), list(spider.parse_article(response)))
    return kept, dropped, spider.crawler.stats.get_stats()


def article_page(head: bytes = b"", body: bytes = TEXT) -> bytes:
    return (b'<html><head><meta charset="utf-8">' + head + b"<title>Nordkorea testet Rakete</title></head><body>"
            b"<article><h1>Nordkorea testet Rakete</h1>" + body + b"</article></body></html>")


@pytest.mark.parametrize(("body", "stat", "message"), [
    (b"", "corpus/errors/empty_page", "skipped: empty page"),
    (b"  \n ", "corpus/errors/empty_page", "skipped: empty page"),
    (bytes(range(256)) * 64, "corpus/errors/binary_page", "binary content served as text/html"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(2000), "corpus/errors/binary_page", "binary content"),
])
def test_empty_and_binary_pages_are_skipped_with_a_reason(body, stat, message, caplog):
    kept, dropped, stats = crawl_page(body)
    assert kept == [] and dropped == []
    assert stats[stat] == 1
    assert message in caplog.text


def test_truncated_html_still_gives_what_it_has():
    kept, _, _ = crawl_page(SEED[: len(SEED) // 3])
    (article,) = [k for k in kept if k.item_type == "article"]
    assert article.title == "Neue Achse Russland-China-Nordkorea?" and article.published_at == "2023-09-06"


def test_a_page_without_an_article_is_dropped_with_a_reason():
    kept, dropped, stats = crawl_page(b"<html><body><nav><a href='/'>Start</a></nav><p>Impressum</p></body></html>")
    assert kept == [] and [reason for _, reason in dropped] == ["missing title"]
    assert stats["corpus/dropped/article/missing_title"] == 1


def test_windows_1252_bytes_declared_as_utf8_are_read_as_windows_1252(caplog):
    caplog.set_level(logging.INFO)
    page = article_page(body=TEXT + "<p>Die Gespräche über Südkorea dauern an; Präsident Yoon äußert sich.</p>"
                        .encode("cp1252"))
    kept, _, stats = crawl_page(page, "text/html; charset=utf-8")
    assert "Die Gespräche über Südkorea dauern an; Präsident Yoon äußert sich." in kept[0].body
    assert "\ufffd" not in kept[0].body
    assert stats["corpus/encoding/repaired/windows-1252"] == 1
    assert "declared encoding was wrong, read as windows-1252" in caplog.text


def test_utf8_bytes_declared_as_windows_1252_are_read_as_utf8():
    page = article_page(body=TEXT + "<p>Die Gespräche über Südkorea dauern an.</p>".encode()).replace(
        b'<meta charset="utf-8">', b'<meta charset="windows-1252">')
    kept, _, stats = crawl_page(page, "text/html; charset=windows-1252")
    assert "Die Gespräche über Südkorea dauern an." in kept[0].body and "Ã" not in kept[0].body
    assert stats["corpus/encoding/repaired/utf-8"] == 1


def test_conflicting_json_ld_blocks_take_the_one_the_page_shows():
    other = (b'<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Ganz anderer Artikel", '
             b'"datePublished": "2019-01-01T10:00:00+01:00"}</script>')
    own = (b'<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Nordkorea testet Rakete", '
           b'"datePublished": "2024-05-02T10:00:00+02:00"}</script>')
    kept, _, _ = crawl_page(article_page(head=other + own))
    assert kept[0].published_at == "2024-05-02T10:00:00+02:00"


def test_invalid_json_ld_is_counted_and_the_other_layers_fill_in():
    broken = b'<script type="application/ld+json">{"@type": "NewsArticle", "headline": </script>'
    meta = b'<meta property="article:published_time" content="2024-05-02T10:00:00+02:00">'
    kept, _, stats = crawl_page(article_page(head=broken + meta))
    assert kept[0].published_at == "2024-05-02T10:00:00+02:00" and kept[0].title == "Nordkorea testet Rakete"
    assert stats["corpus/errors/page"] == 1


@pytest.mark.parametrize("raw", ["1900-03-01T10:00:00+01:00", "2100-03-01T10:00:00+01:00", "2999-01-01"])
def test_absurd_dates_are_left_empty_not_kept(raw, caplog):
    kept, _, stats = crawl_page(article_page(head=f'<meta property="article:published_time" content="{raw}">'.encode()))
    assert kept[0].published_at is None
    assert stats["corpus/extract/published/error"] == 1  # refused by the extraction, counted


def test_an_absurd_date_in_json_ld_yields_to_the_meta_tag():
    ld = b'<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "1900-01-01"}</script>'
    meta = b'<meta property="article:published_time" content="2024-05-02T10:00:00+02:00">'
    kept, dropped, stats = crawl_page(article_page(head=ld + meta))
    assert kept, (dropped, {k: v for k, v in stats.items() if k.startswith("corpus/")})
    assert kept[0].published_at == "2024-05-02T10:00:00+02:00"


def test_a_date_after_the_fetch_is_refused_by_the_dates_pipeline(caplog):
    from corpus.items import Article
    from pipelines.dates import DatesPipeline

    spider = make_spider(CiceroSpider)
    item = Article(url=URL, outlet="cicero", published_raw="Do., 7. September 2023 - 10:40",
                   crawled_at="2023-09-01T12:00:00+02:00")
    DatesPipeline(spider.crawler).process_item(item)
    assert item.published_at is None
    assert spider.crawler.stats.get_value("corpus/dates/published/failed/future") == 1
    assert "implausible published date" in caplog.text


def test_a_5000_character_byline_is_cut_not_trusted():
    byline = ("Von Hans Meier und " * 270).encode()
    kept, _, _ = crawl_page(article_page(body=b'<p class="byline">' + byline + b"</p>" + TEXT))
    assert len(kept[0].authors) <= 10 and all(len(a) < 60 for a in kept[0].authors)


def test_ten_thousand_comments_are_capped_with_a_warning(caplog):
    comments = b"".join(
        b'<article class="comment js-comment" data-comment-id="%d"><p class="comment__submitted">'
        b'<span class="comment__author">Leser %d</span> | <span class="comment__date">Mi., 6. September 2023 - 10:00'
        b'</span></p><div class="field field-name-comment-body"><p>Text %d</p></div></article>' % (i, i, i)
        for i in range(10_000))
    page = SEED.replace(b'<section id="comments" class="comments">', b'<section id="comments" class="comments">'
                        + comments, 1)
    assert page != SEED
    kept, _, stats = crawl_page(page, CORPUS_MAX_COMMENTS=2000)
    assert len([k for k in kept if k.item_type == "comment"]) == 2000
    assert stats["corpus/comments/capped"] == 1
    assert "more than 2000 comments" in caplog.text


LONE = "\\ud800"  # as JSON writes it: an escape of a lone surrogate, which decodes to no valid Unicode


def test_a_lone_surrogate_in_json_ld_becomes_a_replacement_character(tmp_path):
    """JSON escapes can spell code points no UTF-8 writer can write; they are made valid where the JSON is read."""
    from corpus.exporters import JsonLinesExporter

    ld = ('{"@type": "NewsArticle", "headline": "Nordkorea ' + LONE + ' testet Rakete", "description": "Teaser '
          + "\\udfff" + '", "author": {"@type": "Person", "name": "Anna ' + LONE + 'Berg"}, '
          '"datePublished": "2024-05-02T10:00:00+02:00"}').encode()
    page = (b'<html><head><meta charset="utf-8"><script type="application/ld+json">' + ld + b"</script></head><body>"
            b"<main>" + TEXT + b"</main></body></html>")
    spider = make_spider()  # the generic parser: JSON-LD first
    response = HtmlResponse(url="https://example.org/a/1", body=page, headers={"Content-Type": "text/html"},
                            request=Request("https://example.org/a/1"))
    kept, dropped = run_pipelines(build_pipelines(spider.crawler), list(spider.parse_article(response)))
    (article,) = kept
    assert article.title == "Nordkorea \ufffd testet Rakete" and article.teaser == "Teaser \ufffd"
    assert article.content_hash
    with (tmp_path / "out.jsonl").open("wb") as f:
        exporter = JsonLinesExporter(f, encoding="utf-8", ensure_ascii=False)
        exporter.start_exporting()
        exporter.export_item(article)
        exporter.finish_exporting()
    (line,) = (tmp_path / "out.jsonl").read_bytes().decode("utf-8").splitlines()  # strict UTF-8
    assert "Nordkorea \ufffd testet Rakete" in line


def test_writers_survive_a_lone_surrogate_that_got_through(tmp_path):
    """The JSON Lines exporter and the dead-letter file write every item, whatever its text."""
    from corpus.exporters import JsonLinesExporter
    from corpus.items import Article
    from corpus.search.indexer import DeadLetter

    bad = Article(url="https://example.org/a/2", outlet="t", title="Pj\ud800ngjang", body="Text \udc80")
    with (tmp_path / "out.jsonl").open("wb") as f:
        exporter = JsonLinesExporter(f, encoding="utf-8", ensure_ascii=False)
        exporter.start_exporting()
        exporter.export_item(bad)
        exporter.export_item(Article(url="https://example.org/a/3", outlet="t", title="gut"))
        exporter.finish_exporting()
    lines = (tmp_path / "out.jsonl").read_bytes().decode("utf-8").splitlines()
    assert len(lines) == 2 and "Pj\ufffdngjang" in lines[0]

    dead = DeadLetter(tmp_path / "dead.jsonl")
    items = [{"id": "1", "title": "gut"}, {"id": "2", "title": "Pj\ud800ngjang", "tags": ["\udfff"]},
             {"id": "3", "title": "auch gut"}]
    assert dead.write(items, "reason \ud800") == 3
    dead.close()
    written = (tmp_path / "dead.jsonl").read_bytes().decode("utf-8").splitlines()
    assert [json.loads(line)["id"] for line in written] == ["1", "2", "3"] and dead.count == 3


def test_the_local_state_survives_a_lone_surrogate(tmp_path):
    from corpus.state import LocalState

    state = LocalState(tmp_path / "state.sqlite")
    item = {"id": "x", "outlet": "t", "url": "https://example.org/x", "title": "Pj\ud800ngjang", "content_hash": "1"}
    assert state.record_article(item) == (1, None)
    state.record_seen({**item, "id": "y"}, terms="t")
    assert state.lookup(["x", "y"]).keys() == {"x", "y"}
    state.close()


@pytest.mark.parametrize("depth", [300, 5000])
def test_html_nested_too_deep_for_the_parser_loses_nothing_in_a_crawl(depth):
    nested = b"<div>" * depth + b"<p>Ein Absatz tief in der Seite: Peking und Seoul verhandeln.</p>" + b"</div>" * depth
    kept, _, stats = crawl_page(article_page(body=TEXT + nested + b"<p>Nach dem tiefen Teil: Moskau reagiert.</p>"))
    (article,) = [k for k in kept if k.item_type == "article"]
    assert "Nach dem tiefen Teil" in article.body and "tief in der Seite" in article.body
    if depth > 2048:  # beyond what libxml2 reads even with huge_tree: read again, flattened, and counted
        assert stats["corpus/errors/page"] >= 1
