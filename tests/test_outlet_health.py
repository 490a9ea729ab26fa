"""Outlet health: what a crawl records per outlet, and the alarm when an outlet breaks (corpus/outlethealth.py)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from corpus.crawlrecord import build_record, earlier_health, store_record
from corpus.outlethealth import OutletHealth, Thresholds, judge
from corpus.search.config import EsConfig
from tests.gensite import GeneratedSite

ROOT = Path(__file__).parents[1]


def health(articles: int = 10, fetched: int = 10, body: float = 1.0, **sources: dict) -> dict:
    summary = OutletHealth().summary()
    summary.update(fetched=fetched, articles=articles, article_rate=articles / fetched if fetched else None,
                   fill={"title": 1.0, "authors": 0.9, "date": 1.0, "body": body, "teaser": 0.8},
                   sources=list(sources.values()))
    return summary


def test_the_counts_of_one_crawl():
    counts = OutletHealth()
    counts.listed("https://x.de/rss", "feed", links=4, candidates=3)
    counts.page("https://x.de/rss", True)
    counts.fields({"title": True, "authors": False, "date": True, "body": True, "teaser": False},
                  {"title": "jsonld", "published": "meta", "body": "generic"})
    counts.page("https://x.de/rss", False, "/video/*-N")
    summary = counts.summary()
    assert (summary["fetched"], summary["articles"], summary["not_articles"], summary["article_rate"]) == (2, 1, 1, 0.5)
    assert summary["fill"] == {"title": 1.0, "authors": 0.0, "date": 1.0, "body": 1.0, "teaser": 0.0}
    assert summary["layers"]["title"] == {"jsonld": 1} and summary["layers"]["date"] == {"meta": 1}
    assert summary["not_article_shapes"] == {"/video/*-N": 1}
    assert summary["sources"] == [{"url": "https://x.de/rss", "kind": "feed", "listed": 4, "candidates": 3,
                                   "fetched": 2, "articles": 1, "not_articles": 1}]


def test_a_field_that_falls_below_the_median_is_named():
    history = [health(body=1.0), health(body=0.9), health(body=1.0)]
    reasons = judge(health(body=0.0), history, Thresholds())
    assert reasons == ["body of 80+ words filled on 0% of 10 article pages; median of the last 3 runs 100%"]
    assert judge(health(body=0.85), history, Thresholds()) == []  # 15 points: within the threshold
    assert judge(health(body=0.85), history, Thresholds(fill_drop=10)) != []


def test_rates_wait_for_enough_runs_and_pages():
    history = [health(body=1.0), health(body=1.0)]
    assert judge(health(body=0.0), history, Thresholds()) == []  # two earlier runs: too few to judge rates
    assert judge(health(body=0.0), history, Thresholds(min_runs=2)) != []
    few = health(articles=3, fetched=3, body=0.0)
    assert judge(few, history * 2, Thresholds()) == []  # three article pages: too few


def test_fewer_articles_per_fetched_page():
    history = [health(), health(), health()]
    reasons = judge(health(articles=4, fetched=10), history, Thresholds())
    assert reasons == ["articles per fetched page 40% (4 of 10); median of the last 3 runs 100%"]


def test_a_feed_that_lists_links_and_gives_no_article_is_a_fall_without_history():
    feed = {"url": "https://x.de/rss", "kind": "feed", "listed": 20, "candidates": 20, "fetched": 20,
            "articles": 0, "not_articles": 20}
    assert judge(health(feed=feed), [], Thresholds()) == [
        "the feed https://x.de/rss listed 20 links and gave no article (20 fetched)"]
    none = {**feed, "candidates": 0, "fetched": 0}
    assert "none was an article candidate" in judge(health(feed=none), [], Thresholds())[0]
    known = {**feed, "fetched": 0}  # every link already in the corpus: nothing fetched, nothing wrong
    assert judge(health(feed=known), [], Thresholds()) == []
    listing = {**feed, "kind": "listing"}  # listings mix navigation with articles: not judged this way
    assert judge(health(feed=listing), [], Thresholds()) == []


def crawl(site: GeneratedSite, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "gensite", "-a", f"base_url={site.base_url}", "-a", "scope=all",
         "-a", "incremental=false", "-s", "SPIDER_MODULES=tests.redis_spiders", "-s", "ROBOTSTXT_OBEY=False",
         "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CORPUS_HEALTH_MIN_RUNS=3"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.e2e
def test_a_markup_change_that_loses_the_body_makes_a_degraded_run_with_one_warning(tmp_path):
    env = {**{k: v for k, v in os.environ.items() if k != "ELASTICSEARCH_URL"},
           "CORPUS_OUTPUT_DIR": str(tmp_path / "data")}
    with GeneratedSite(12) as site:
        for _ in range(3):
            done = crawl(site, env)
            assert done.returncode == 0, done.stderr[-3000:]
            assert "degraded" not in done.stderr
        site.body_lost = True
        broken = crawl(site, env)
    records = [json.loads(line) for line in (tmp_path / "data" / "crawls.jsonl").read_text().splitlines()]
    assert len(records) == 4 and [r["degraded"] for r in records] == [False, False, False, True]
    # plain `scrapy crawl`s, no scheduler: each still has the status the runs chart splits by
    assert [r["status"] for r in records] == ["ok"] * 4 and "job" not in records[0]
    assert records[0]["health"]["fill"]["body"] == 1.0 and records[0]["health"]["articles"] == 12
    assert records[0]["health"]["layers"]["body"] == {"generic": 12}
    assert records[3]["health"]["fill"]["body"] == 0.0
    assert records[3]["degraded_reasons"] == [
        "body of 80+ words filled on 0% of 12 article pages; median of the last 3 runs 100%"]
    warnings = [line for line in broken.stderr.splitlines() if "WARNING" in line and "degraded" in line]
    assert len(warnings) == 1, broken.stderr[-3000:]
    assert "outlet gensite degraded in this run: body of 80+ words filled on 0%" in warnings[0]


class _Spider:
    name = "cicero"


@pytest.mark.parametrize(("reason", "stats", "status", "failed"), [
    ("finished", {}, "ok", False),
    ("closespider_timeout", {}, "ok", False),  # the crawl's own time budget: a normal end
    ("closespider_itemcount", {}, "ok", False),
    ("finished", {"corpus/health/failed": "no page could be fetched"}, "failed", True),
    ("shutdown", {}, "stopped", True),  # Ctrl-C or SIGTERM
    ("cancelled", {}, "failed", True),
])
def test_every_crawl_record_has_a_status_in_the_schedulers_words(reason, stats, status, failed):
    """Not only runs of `corpus schedule` (whose own status replaces this one): "Crawl runs per day by
    status" splits every run by it."""
    record = build_record(_Spider(), {"start_time": None, **stats}, reason)
    assert (record["status"], record["failed"], record["finish_reason"]) == (status, failed, reason)
    assert record["status"] in ("ok", "failed", "timeout", "stopped")  # corpus/schedule.py's vocabulary


@pytest.mark.elasticsearch
def test_the_history_is_read_from_corpus_crawls(es_url, es, prefix, tmp_path):
    config = EsConfig(hosts=[es_url], prefix=prefix)
    for day, body in ((1, 1.0), (2, 0.5), (3, 0.9)):
        record = {"id": f"run-{day}", "spider": "cicero", "mode": "recent", "failed": False,
                  "start": f"2026-11-0{day}T10:00:00+01:00", "health": health(body=body), "degraded": False,
                  "degraded_reasons": []}
        asyncio.run(store_record(record, config, tmp_path / "crawls.jsonl"))
    other = {"id": "run-x", "spider": "cicero", "mode": "backfill", "failed": False,
             "start": "2026-11-04T10:00:00+01:00", "health": health(body=0.0)}
    asyncio.run(store_record(other, config, tmp_path / "crawls.jsonl"))
    assert not (tmp_path / "crawls.jsonl").exists()  # all four indexed (the mapping takes the health)
    found = asyncio.run(earlier_health("cicero", "recent", config, tmp_path / "crawls.jsonl", 10))
    assert [h["fill"]["body"] for h in found] == [0.9, 0.5, 1.0]  # newest first, the backfill left out


@pytest.mark.e2e
def test_a_feed_that_switches_to_a_new_url_scheme_still_yields_its_articles(tmp_path):
    """The feed lists every article under a URL shape article_path (/a/<n>) does not know, and one listing
    page: every article is fetched and written; the listing page is fetched, judged no article and counted.
    (The site serves its feed as text/html, as some do: it is read as XML all the same.)"""
    from tests.redis_spiders import GeneratedFeedSpider

    env = {**{k: v for k, v in os.environ.items() if k != "ELASTICSEARCH_URL"},
           "CORPUS_OUTPUT_DIR": str(tmp_path / "data")}
    with GeneratedSite(10) as site:
        site.feed_scheme = "new"
        done = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "gensite-feed", "-a", f"base_url={site.base_url}",
             "-a", "scope=all", "-a", "incremental=false", "-O", str(tmp_path / "out.jsonl"),
             "-s", "SPIDER_MODULES=tests.redis_spiders", "-s", "ROBOTSTXT_OBEY=False", "-s", "DOWNLOAD_DELAY=0",
             "-s", "AUTOTHROTTLE_ENABLED=False"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        new_urls = [f"{site.base_url}/news/bericht-{n}-id{n}.html" for n in range(10)]
    assert done.returncode == 0, done.stderr[-3000:]
    assert not any(GeneratedFeedSpider.article_path.match(url.split(":", 2)[2].split("/", 1)[1]) for url in new_urls)
    items = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert sorted(i["url"] for i in items) == sorted(new_urls)
    (record,) = [json.loads(line) for line in (tmp_path / "data" / "crawls.jsonl").read_text().splitlines()]
    assert record["health"]["articles"] == 10 and record["health"]["not_articles"] == 1
    assert record["health"]["not_article_shapes"] == {"/list/N": 1}
    (feed,) = record["health"]["sources"]
    assert (feed["kind"], feed["listed"], feed["candidates"], feed["articles"]) == ("feed", 11, 11, 10)
    assert "'corpus/pages/not_article': 1" in done.stderr and not record["degraded"]
