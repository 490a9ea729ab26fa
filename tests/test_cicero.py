"""The Cicero spider on its fixture pages: fields, body, paywall, comments, discovery."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import scrapy

from corpus.items import Article, Comment
from tests.conftest import fixture_response, make_spider
from tests.pipelines import run_pipelines

SEED = Path(__file__).parents[2] / "shared" / "seeds" / "000_acb1fb758eb238e4.txt"
SEED_URL = "https://www.cicero.de/aussenpolitik/kim-jong-un-wladiwostok-putin-waffendeal-nordkorea-russland-china"


def processed(spider, pipelines, name: str):
    """Parse a fixture article page and run the items through the pipelines."""
    raw = list(spider.parse_article(fixture_response("cicero", name)))
    kept, dropped = run_pipelines(pipelines, raw)
    return raw, kept, dropped


@pytest.fixture
def seed(cicero_spider, pipelines):
    raw, kept, dropped = processed(cicero_spider, pipelines, "article_seed.html")
    assert not dropped
    article = kept[0]
    comments = kept[1:]
    return article, comments


def test_seed_article_fields(seed):
    article, _ = seed
    assert isinstance(article, Article)
    assert article.item_type == "article"
    assert article.kicker == "Kim Jong-un reist nach Wladiwostok"
    assert article.title == "Neue Achse Russland-China-Nordkorea?"
    assert article.teaser.startswith("Kim Jong-un soll dieser Tage mit Wladimir Putin")
    assert article.authors == ["Felix Lill"]
    assert article.agencies == []
    assert article.byline_raw == "VON FELIX LILL"
    assert article.published_at == "2023-09-06"  # day precision, not a made-up midnight
    assert article.published_precision == "day"
    assert article.section == "Außenpolitik"
    assert article.canonical_url == SEED_URL
    assert article.outlet == "cicero" and article.outlet_name == "Cicero"
    assert article.language == "de"
    assert article.keywords == ["Nordkorea", "Russland", "China", "Kim Jong-un", "Wladimir Putin"]
    assert article.image == {
        "url": "https://www.cicero.de/sites/default/files/styles/teaser_full/public/2023-09/kim-jong-un.jpg",
        "caption": "Nordkoreas „Oberster Führer“: Kim Jong-un",
        "credit": "picture alliance",
    }
    assert article.paywalled is True
    assert article.comments_closed is True
    assert article.comment_count == 6
    assert article.in_scope is True
    assert {"KP", "RU", "CN"} <= set(article.countries)
    assert "KP-RU" in article.pairs
    assert len(article.id) == 40 and article.content_hash


def test_seed_body_is_the_free_part_only(seed):
    article, _ = seed
    paragraphs = article.body.split("\n\n")
    assert len(paragraphs) == 2
    assert paragraphs[0].startswith("Sofern die Gerüchte wahr sind")
    assert paragraphs[1].endswith("einander nützlich sein.")
    for not_body in ("Cicero Plus weiterlesen", "Monatsabo", "9,80", "Autoreninfo",
                     "So erreichen Sie", "picture alliance", "Teilen", "Kommentar"):
        assert not_body not in article.body
    assert article.word_count == len(re.findall(r"\w+", article.body))


def test_seed_text_matches_the_seed_document(seed):
    """Every body paragraph and comment text is a passage of the real page's text."""
    if not SEED.exists():
        pytest.skip(f"seed document not found at {SEED}")
    seed_text = " ".join(SEED.read_text("utf-8").split())
    article, comments = seed
    for paragraph in article.body.split("\n\n"):
        assert paragraph in seed_text
    for comment in comments:
        for paragraph in comment.text.split("\n\n"):
            assert paragraph in seed_text


def test_seed_comments(seed):
    article, comments = seed
    assert [type(c) for c in comments] == [Comment] * 6
    assert [c.author for c in comments] == [
        "Gerhard Lenz", "Armin Latell", "Jochen Rollwagen", "Henri Lassalle", None, "Keppelen Juliana",
    ]
    assert [c.published_at for c in comments] == [
        "2023-09-07T10:40:00+02:00", "2023-09-07T12:24:00+02:00", "2023-09-07T13:12:00+02:00",
        "2023-09-07T15:21:00+02:00", None, "2023-09-07T15:47:00+02:00",
    ]
    assert [c.position for c in comments] == [1, 2, 3, 4, 5, 6]
    assert all(c.article_id == article.id and c.article_url == SEED_URL for c in comments)
    assert all(c.article_title == article.title for c in comments)
    assert len({c.id for c in comments}) == 6
    # the reply whose header is missing: kept, not glued to its neighbour, linked to its parent
    lassalle, reply, keppelen = comments[3], comments[4], comments[5]
    assert reply.parent_id == lassalle.id == "cicero-559902"
    assert reply.text.startswith("wird auch durch die Waffenlieferungen")
    assert "wird auch" not in lassalle.text and "Waffenlieferungen" not in keppelen.text
    assert [c.parent_id for c in comments].count(None) == 5
    # multi-paragraph comments keep their paragraphs
    assert comments[2].text.split("\n\n")[:3] == [
        "Rußland liefert einem komplett durchgeknallten Diktator mit Langstrecken-Raketen Nukleartechnik.",
        "Reaktion des Westens, des Nachbarn China, der UNO, des Rests der Welt:",
        "Null.",
    ]


def test_extraction_layers_are_counted(cicero_spider, pipelines):
    for name in ("article_seed.html", "article_korea_china.html"):
        list(cicero_spider.parse_article(fixture_response("cicero", name)))
    stats = cicero_spider.crawler.stats.get_stats()
    assert stats["corpus/extract/title/selector"] == 2
    assert stats["corpus/extract/published/selector"] == 1  # seed: only the byline has a date
    assert stats["corpus/extract/published/jsonld"] == 1
    assert stats["corpus/extract/modified/missing"] == 1


def test_two_authors_subheadings_and_boxes(cicero_spider, pipelines):
    _, kept, _ = processed(cicero_spider, pipelines, "article_russia_china.html")
    article = kept[0]
    assert article.authors == ["Anna Bergmann", "Klaus-Dieter Franke"]
    assert article.published_at == "2024-03-12T16:45:00+01:00"
    assert article.published_precision == "minute"
    assert article.paywalled is False
    assert len(article.subheadings) == 3
    paragraphs = article.body.split("\n\n")
    for heading in article.subheadings:  # headings stay in their place in the text
        assert heading in paragraphs
        assert 0 < paragraphs.index(heading) < len(paragraphs) - 1
    assert "Lesen Sie auch" not in article.body
    assert "Anzeige" not in paragraphs
    assert article.image["caption"] == "Ein Kreml-Turm in Moskau" and article.image["credit"] == "dpa"
    assert article.comment_count == 0 and article.comments_closed is False
    assert article.countries == ["RU", "CN"] and article.pairs == ["CN-RU"] and article.in_scope


def test_json_ld_article_and_comment_pagination(cicero_spider, pipelines):
    first = list(cicero_spider.parse_article(fixture_response("cicero", "article_korea_china.html")))
    # the article waits for its remaining comment pages
    assert len(first) == 1 and isinstance(first[0], scrapy.Request)
    request = first[0]
    assert request.url.endswith("/aussenpolitik/suedkorea-china-seoul-peking-annaeherung?page=1")
    assert request.dont_filter  # no filter may drop it without calling back: the article travels with it
    response = fixture_response("cicero", "article_korea_china_page1.html", request=request)
    raw = list(request.callback(response, **request.cb_kwargs))
    kept, dropped = run_pipelines(pipelines, raw)
    assert not dropped
    article, comments = kept[0], kept[1:]
    assert article.authors == ["Martin Hollweg"]
    assert article.extraction["authors"] == "jsonld"
    assert article.published_at == "2024-02-14T09:30:00+01:00"
    assert article.modified_at == "2024-02-14T11:05:00+01:00"
    assert article.paywalled is False and article.comments_closed is False
    assert article.comment_count == 5 == len(comments)
    assert [c.position for c in comments] == [1, 2, 3, 4, 5]
    by_id = {c.id: c for c in comments}
    replies = [c for c in comments if c.parent_id]
    assert len(replies) == 2 and all(r.parent_id in by_id for r in replies)
    reply_on_page_two = comments[4]
    assert reply_on_page_two.parent_id == comments[3].id and reply_on_page_two.title
    assert comments[0].title and comments[0].published_at.startswith("2024-02-14T")


def test_comment_page_failure_keeps_the_article(cicero_spider):
    request = list(cicero_spider.parse_article(fixture_response("cicero", "article_korea_china.html")))[0]

    class FakeFailure:  # what Scrapy hands an errback: the failed request and the error
        def __init__(self, request):
            self.request = request
            self.value = ConnectionRefusedError("refused")

    items = list(cicero_spider._comment_page_failed(FakeFailure(request)))
    assert isinstance(items[0], Article) and items[0].comment_count == 3
    assert len(items) == 4
    assert cicero_spider.crawler.stats.get_value("corpus/errors/comment_page") == 1


def test_out_of_scope_article_leaves_a_light_record_and_its_comments_are_dropped(cicero_spider, pipelines):
    from corpus.items import OffTopic

    raw, kept, dropped = processed(cicero_spider, pipelines, "article_ukraine.html")
    assert [type(item) for item in kept] == [OffTopic]
    record, article = kept[0], raw[0]
    assert (record.id, record.url, record.outlet) == (article.id, article.url, "cicero")
    assert record.title == article.title and record.teaser == article.teaser and record.countries == ["RU"]
    assert record.in_scope is False and record.topic_score is not None and record.terms_digest
    assert record.published_at and record.published_precision
    assert [reason for _, reason in dropped] == ["article not kept"]
    stats = cicero_spider.crawler.stats.get_stats()
    assert stats["corpus/scope/out"] == 1


def test_scope_all_keeps_and_tags_out_of_scope_articles(pipelines):
    spider = make_spider(scope="all")
    from tests.pipelines import build_pipelines

    raw = list(spider.parse_article(fixture_response("cicero", "article_ukraine.html")))
    kept, dropped = run_pipelines(build_pipelines(spider.crawler), raw)
    assert not dropped
    assert kept[0].in_scope is False and kept[0].countries == ["RU"]
    assert len(kept) == 2 and kept[1].title == "Bittere Bilanz"


def test_duplicate_with_tracking_parameters_is_dropped(cicero_spider, pipelines):
    first = list(cicero_spider.parse_article(fixture_response("cicero", "article_seed.html")))
    kept, _ = run_pipelines(pipelines, first[:1])
    again = first[0]
    from dataclasses import replace

    twin = replace(again, url=again.url + "?utm_source=twitter#comments", canonical_url=None)
    _, dropped = run_pipelines(pipelines, [twin])
    assert [reason for _, reason in dropped] == ["duplicate"]


def test_feed_yields_only_article_urls(cicero_spider):
    response = fixture_response("cicero", "rss.xml")
    response = scrapy.http.XmlResponse(url=response.url, body=response.body, encoding="utf-8")
    urls = [r.url for r in cicero_spider.parse_feed(response)]
    assert len(urls) == 4
    assert not any("cicero-plus" in u for u in urls)
    assert cicero_spider.crawler.stats.get_value("corpus/links/not_article") == 1


def test_section_front_follows_articles_not_shop_author_or_comment_links(cicero_spider):
    response = fixture_response("cicero", "section_aussenpolitik.html")
    urls = {r.url for r in cicero_spider.parse_listing(response)}
    assert urls == {
        "https://www.cicero.de/aussenpolitik/russland-china-gasleitung-kreml-peking",
        "https://www.cicero.de/aussenpolitik/suedkorea-china-seoul-peking-annaeherung",
        "https://www.cicero.de/aussenpolitik/ukraine-front-winter-offensive-charkiw",
        SEED_URL,
    }


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (SEED_URL, True),
        ("https://www.cicero.de/innenpolitik/plaene-der-eu-kommission-der-ganz-normale-terror", True),
        ("https://www.cicero.de/aussenpolitik/nordkorea-atomtest/61234", True),
        ("https://www.cicero.de/aussenpolitik", False),
        ("https://www.cicero.de/cicero-plus/abo-angebot", False),
        ("https://www.cicero.de/newsletter-anmeldung", False),
        ("https://www.cicero.de/comment/559871#comment-559871", False),
        ("https://www.cicero.de/autor/felix-lill", False),
        ("https://www.cicero.de/suche/nordkorea", False),
        ("https://www.cicero.de/rss.xml", False),
        ("https://www.cicero.de/sites/default/files/2023-09/kim.jpg", False),
        ("https://shop.cicero.de/aussenpolitik/abo", False),
        ("https://www.spiegel.de/ausland/nordkorea-kim", False),
    ],
)
def test_article_url_filter(cicero_spider, url, expected):
    assert cicero_spider.is_article_url(url) is expected


def test_backfill_pages_listings_until_since(cicero_spider):
    spider = make_spider(mode="backfill", since="2023-01-01")
    first = list(spider.parse_listing(fixture_response("cicero", "section_aussenpolitik.html"), page_no=0))
    next_pages = [r for r in first if r.callback == spider.parse_listing]
    assert [r.url for r in next_pages] == ["https://www.cicero.de/aussenpolitik?page=1"]
    second = list(spider.parse_listing(
        fixture_response("cicero", "section_aussenpolitik_page1.html"), **next_pages[0].cb_kwargs))
    assert [r.url for r in second] == ["https://www.cicero.de/aussenpolitik/nordkorea-raketentest-japan-2022"]
    assert spider.crawler.stats.get_value("corpus/listing/stopped_since") == 1


def test_backfill_respects_max_pages():
    spider = make_spider(mode="backfill", max_pages="1")
    out = list(spider.parse_listing(fixture_response("cicero", "section_aussenpolitik.html"), page_no=0))
    assert all(r.callback != spider.parse_listing for r in out)
    assert spider.crawler.stats.get_value("corpus/listing/stopped_max_pages") == 1


def test_backfill_skips_articles_older_than_since():
    spider = make_spider(mode="backfill", since="2023-01-01")
    assert list(spider.parse_article(fixture_response("cicero", "article_old.html"))) == []
    assert spider.crawler.stats.get_value("corpus/skipped/older_than_since") == 1


def test_sitemap_filters_by_lastmod():
    spider = make_spider(mode="backfill", since="2024-01-01")
    response = fixture_response("cicero", "sitemap.xml")
    urls = [r.url for r in spider.parse_sitemap(response)]
    assert "https://www.cicero.de/aussenpolitik/russland-china-gasleitung-kreml-peking" in urls
    assert SEED_URL not in urls  # lastmod 2023
    assert not any(u.endswith(("/innenpolitik", "/impressum")) for u in urls)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "sideways"}, "mode"),
        ({"since": "gestern"}, "since"),
        ({"max_pages": "0"}, "max_pages"),
        ({"scope": "some"}, "scope"),
        ({"base_url": "ftp://x"}, "base_url"),
        ({"colour": "red"}, "unknown argument"),
    ],
)
def test_bad_arguments_are_refused_clearly(kwargs, message):
    from spiders.cicero import CiceroSpider

    with pytest.raises(ValueError, match=message):
        CiceroSpider.check_args(kwargs)


def test_non_html_response_is_counted_not_raised(cicero_spider):
    from scrapy.http import Response

    response = Response(url=SEED_URL, body=b"%PDF-1.4 \x00\x01", headers={"Content-Type": "application/pdf"})
    assert list(cicero_spider.parse_article(response)) == []
    assert cicero_spider.crawler.stats.get_value("corpus/errors/not_html") == 1


def test_page_without_article_markup_is_dropped_with_a_reason(cicero_spider, pipelines):
    from scrapy.http import HtmlResponse

    response = HtmlResponse(url=SEED_URL, body=b"<html><body><p>Wartungsarbeiten</p></body></html>",
                            encoding="utf-8")
    raw = list(cicero_spider.parse_article(response))
    kept, dropped = run_pipelines(pipelines, raw)
    assert kept == [] and [reason for _, reason in dropped] == ["missing title"]
    stats = cicero_spider.crawler.stats.get_stats()
    assert stats["corpus/dropped/article/missing_title"] == 1
    assert stats["corpus/extract/title/missing"] == 1


def test_comment_ids_longer_than_elasticsearch_allows_are_bounded(cicero_spider):
    """A page's data-comment-id can be anything; ids (and the parent ids pointing at them) stay under 512 bytes."""
    from scrapy.http import HtmlResponse

    original = fixture_response("cicero", "article_seed.html")
    huge = "559902" + "7" * 700
    body = original.body.replace(b'data-comment-id="559902"', f'data-comment-id="{huge}"'.encode())
    response = HtmlResponse(url=original.url, body=body, encoding="utf-8", request=original.request)
    comments = [i for i in cicero_spider.parse_article(response) if isinstance(i, Comment)]
    parent = next(c for c in comments if c.comment_id == huge)
    reply = next(c for c in comments if c.comment_id == "559903")
    assert len(parent.id.encode()) <= 200 and parent.id.startswith("cicero-h")
    assert reply.parent_id == parent.id  # the reply still points at its parent
    assert all(len(c.id.encode()) <= 200 for c in comments)
    again = [i for i in cicero_spider.parse_article(response) if isinstance(i, Comment)]
    assert [c.id for c in again] == [c.id for c in comments]  # stable across crawls
