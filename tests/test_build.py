"""Article building without a crawler: `corpus extract` writes what a crawl writes for the same page."""

from __future__ import annotations

import dataclasses

import pytest

from corpus.build import read_article, read_comments
from corpus.extract import Page
from corpus.extract.article import extract_article
from corpus.items import Article
from corpus.runner import ItemRunner, project_settings
from spiders.cicero import CiceroParser
from tests.conftest import FIXTURES, fixture_response, fixture_urls, make_spider
from tests.pipelines import build_pipelines, run_pipelines

# when and by which run: all two readings may differ in (a comment's date is its crawled_at when the page
# gives it no date)
DIFFERS = ("crawled_at", "processed_at", "crawl_run", "date")


def crawled(name: str) -> tuple[dict, list[dict]]:
    """What a crawl writes for a fixture page: the spider's callback, then the pipelines (scope=all)."""
    spider = make_spider(scope="all")
    raw = list(spider.parse_article(fixture_response("cicero", name)))
    kept, _ = run_pipelines([p for p in build_pipelines(spider.crawler) if not getattr(p, "storage", False)], raw)
    (article,) = [i for i in kept if isinstance(i, Article)]
    comments = [{k: v for k, v in dataclasses.asdict(i).items() if k not in DIFFERS} for i in kept
                if not isinstance(i, Article)]
    return {k: v for k, v in dataclasses.asdict(article).items() if k not in DIFFERS}, comments


@pytest.mark.parametrize("name", ["article_seed.html", "article_russia_china.html", "article_ukraine.html"])
def test_extract_gives_what_a_crawl_gives(name):
    """Pages whose comments are all on the page: article and comments are the crawl's, field for field."""
    url = fixture_urls("cicero")[name]
    extracted = extract_article((FIXTURES / "cicero" / name).read_text("utf-8"), url)
    assert extracted.pop("teaser_printed") in (True, False)
    assert "dropped" not in extracted
    comments = extracted.pop("comments")
    article, crawl_comments = crawled(name)
    assert {k: v for k, v in extracted.items() if k not in DIFFERS} == article
    assert [{k: v for k, v in c.items() if k not in DIFFERS} for c in comments] == crawl_comments


def test_read_article_and_comments_need_no_crawler():
    url = fixture_urls("cicero")["article_seed.html"]
    page = Page(url, (FIXTURES / "cicero" / "article_seed.html").read_text("utf-8"))
    read = read_article(page, CiceroParser, outlet="cicero", outlet_name="Cicero")
    assert read.article.title == "Neue Achse Russland-China-Nordkorea?" and read.article.byline_raw == "VON FELIX LILL"
    assert read.extraction.layers["title"] == "selector" and read.article.comments_closed is not None
    comments, capped = read_comments(read.comments, read.article, outlet="cicero", limit=3)
    assert [c.position for c in comments] == [1, 2, 3] and capped  # six on the page, three asked for
    assert all(c.article_id == read.article.id for c in comments)


def test_the_runner_drops_as_a_crawl_drops_and_leaves_storage_out():
    runner = ItemRunner(project_settings())
    assert [type(p).__name__ for p in runner.pipelines] == [
        "ValidationPipeline", "CleanTextPipeline", "DatesPipeline", "AuthorsPipeline", "TopicsPipeline",
        "DedupePipeline"]  # the state and Elasticsearch pipelines store; they are not asked to
    empty = Article(url="https://www.cicero.de/aussenpolitik/x", outlet="cicero")
    (outcome,) = runner.run([empty])
    assert outcome.dropped == "missing title"
    assert runner.stats["corpus/dropped/article/missing_title"] == 1
    with_storage = ItemRunner(project_settings(CORPUS_STATE_FILE="/nonexistent/state.sqlite"), storage=True)
    assert "StatePipeline" in [type(p).__name__ for p in with_storage.pipelines]
